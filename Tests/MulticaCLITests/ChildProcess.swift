import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`, for the CLI
/// tests. Not Foundation's `Process`: in this test binary (which also runs the
/// PostgreSQL suites' own spawned tools) its exit monitor once missed a child that had
/// already exited, and `waitUntilExit` then spun forever, hanging the whole run.
///
/// Threading: any thread; the exit status is read with a non-blocking `waitpid` and
/// kept once seen. Failure: `init` throws when the spawn fails.
final class ChildProcess: Sendable {
    struct SpawnFailed: Error, CustomStringConvertible {
        let description: String
    }

    let pid: pid_t
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` with stdin, stdout and stderr redirected to files (stdin
    /// from `/dev/null` when `stdinPath` is nil).
    init(executable: String, arguments: [String], environment: [String: String], stdinPath: String?, stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw SpawnFailed(description: "posix_spawn \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// The exit code (128 + signal for a signalled child), or nil while it runs.
    func poll() -> Int32? {
        exit.withLock { saved in
            if let saved { return saved }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == -1, errno == ECHILD {
                // Reaped by someone else (another waitpid in this process): it has
                // exited, with a code we can no longer know.
                saved = 255
                return saved
            }
            guard reaped == pid else { return nil }
            saved = Self.code(status)
            return saved
        }
    }

    var isRunning: Bool { poll() == nil }

    /// Waits (blocking the calling thread) for the exit; call it only after a kill.
    func waitBlocking() -> Int32 {
        if let code = poll() { return code }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = Self.code(status)
        exit.withLock { $0 = code }
        return code
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    private static func code(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
