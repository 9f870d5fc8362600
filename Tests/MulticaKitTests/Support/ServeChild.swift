import Foundation
import MulticaTestSupport

/// `multica serve` as a child process (the binary the package builds), for tests that
/// measure the server process itself from /proc: its open fds and resident memory.
/// Always `stop()` it.
final class ServeChild: Sendable {
    /// Spawned with `ChildProcess`: it inherits no descriptor of the test process.
    let process: ChildProcess
    let port: Int
    let home: URL
    private let errURL: URL

    /// The `multica` built with this test binary: next to it in the build directory, so
    /// a `--scratch-path` other than `.build` runs its own server, not a stale one (or
    /// none); `.build/debug/multica` otherwise.
    static let binary: URL = {
        let sibling = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("multica")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/multica")
    }()

    init(environment extra: [String: String] = [:]) async throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("multica-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        errURL = home.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        var environment = ProcessInfo.processInfo.environment
        environment["MULTICA_HOME"] = home.path
        environment["MULTICA_JWT_SECRET"] = String(decoding: LiveServer.secret, as: UTF8.self)
        for (key, value) in extra { environment[key] = value }
        process = try ChildProcess(
            executable: Self.binary.path,
            arguments: ["serve", "--listen", "127.0.0.1:0", "--db", home.appendingPathComponent("db.sqlite").path, "--log-level", "warning"],
            environment: environment, stdinPath: nil, stdoutPath: "/dev/null", stderrPath: errURL.path
        )
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let text = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last ?? "")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let found else {
            process.signal(SIGTERM)
            _ = process.waitBlocking()
            let printed = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw TimedOut(what: "serve child did not listen: \(printed)")
        }
        port = found
    }

    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Open file descriptors of the server process.
    func openFDs() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd").count) ?? -1
    }

    /// What each open fd of the server process is: fd number -> link target
    /// (`socket:[inode]`, `anon_inode:[eventpoll]`, a file path).
    func fdTargets() -> [Int: String] {
        let directory = "/proc/\(process.pid)/fd"
        var targets: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let fd = Int(name) else { continue }
            targets[fd] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")) ?? "?"
        }
        return targets
    }

    /// Resident set size of the server process, in KiB.
    func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }

    func stop() {
        if process.isRunning {
            process.signal(SIGTERM)
            _ = process.waitBlocking()
        }
        try? FileManager.default.removeItem(at: home)
    }
}
