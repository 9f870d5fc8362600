import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`, for the tests
/// that run `multica` or PostgreSQL's tools. Not Foundation's `Process`: in this test
/// binary (which also runs the PostgreSQL suites' own spawned tools) its exit monitor
/// once missed a child that had already exited, and `waitUntilExit` then spun forever,
/// hanging the whole run.
///
/// The child inherits stdin, stdout and stderr and nothing else
/// (`Spawn.closeInheritedDescriptors`): every suite runs in this one process, and NIO
/// opens its sockets without close-on-exec, so a child would otherwise keep a copy of
/// every connection open at that moment, in-process servers' ones included. A server's
/// `close` then sends no FIN while the child lives (issue 12's "connection not
/// dropped" flake: a `multica serve` child or the PostgreSQL server held the socket).
///
/// Threading: any thread; the exit status is read with a non-blocking `waitpid` and
/// kept once seen. Failure: `init` throws when the spawn fails.
public final class ChildProcess: Sendable {
    public struct SpawnFailed: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` with stdin, stdout and stderr redirected to files (stdin
    /// from `/dev/null` when `stdinPath` is nil).
    public convenience init(
        executable: String, arguments: [String], environment: [String: String], stdinPath: String?, stdoutPath: String, stderrPath: String
    ) throws {
        try self.init(
            executable: executable, arguments: arguments, environment: environment.map { "\($0.key)=\($0.value)" },
            stdinPath: stdinPath, stdoutPath: stdoutPath, stderrPath: stderrPath
        )
    }

    /// The same with the environment as `KEY=value` strings, in order.
    public init(executable: String, arguments: [String], environment: [String], stdinPath: String?, stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        Spawn.closeInheritedDescriptors(&actions)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
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
    public func poll() -> Int32? {
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

    public var isRunning: Bool { poll() == nil }

    /// Waits (blocking the calling thread) for the exit; call it only after a kill.
    public func waitBlocking() -> Int32 {
        if let code = poll() { return code }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = Self.code(status)
        exit.withLock { $0 = code }
        return code
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    private static func code(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

public enum Spawn {
    /// Adds "close every descriptor from 3 up" to `actions`. With glibc's
    /// `posix_spawn_file_actions_addclosefrom_np` (2.34+; looked up at run time, as
    /// Swift's Glibc module does not import it) this happens in the child, after the
    /// dup2/open actions and before exec, so no descriptor that another thread opens
    /// meanwhile can slip through. Elsewhere each fd open now is closed, which misses
    /// those opened between this call and the spawn (as Foundation's `Process` does
    /// on Linux).
    public static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom {
            let result = closeFrom(&actions, 3)
            precondition(result == 0, "posix_spawn_file_actions_addclosefrom_np: \(result)")
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
}
