import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `multica serve` started by the bench as a child process (`--spawn`): a temporary
/// database and `MULTICA_HOME`, a free loopback port chosen by the kernel, and the
/// JWT secret the bench signs its tokens with. `stop()` ends it and removes the files.
final class BenchServerProcess: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    let port: Int
    let directory: URL
    var pid: Int32 { process.processIdentifier }

    private init(process: Process, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// Starts `executable serve` and waits (at most `timeout`) for its "listening on" line.
    static func start(executable: String, secret: String, timeout: Duration = .seconds(60)) async throws -> BenchServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-bench-\(BenchSystem.randomHex(12))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--db", directory.appendingPathComponent("bench.db").path,
                             "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["MULTICA_JWT_SECRET"] = secret
        environment["MULTICA_HOME"] = directory.appendingPathComponent("home").path
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // Read stderr on a thread of its own (it keeps draining it after the port is
        // known, so the server never blocks on a full pipe).
        let found = PortLine()
        let reader = stderr.fileHandleForReading
        Thread.detachNewThread {
            var pending = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { found.finish(); return }
                pending += String(decoding: data, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    found.line(String(pending[..<newline]))
                    pending.removeSubrange(...newline)
                }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch found.state {
            case .port(let port): return BenchServerProcess(process: process, port: port, directory: directory)
            case .ended(let log):
                try? FileManager.default.removeItem(at: directory)
                throw Failure(description: "the spawned server exited before listening: \(log.suffix(5).joined(separator: " | "))")
            case .waiting:
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
        throw Failure(description: "the spawned server did not listen within \(timeout)")
    }

    /// SIGTERM, then SIGKILL after `grace`; removes the temporary files.
    func stop(grace: Duration = .seconds(5)) async {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + grace
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// What the stderr reader learned, shared with the waiting task.
private final class PortLine: @unchecked Sendable {
    enum State { case waiting, port(Int), ended([String]) }
    private let lock = NSLock()
    private var _state = State.waiting
    private var log: [String] = []

    var state: State { lock.withLock { _state } }

    func line(_ text: String) {
        lock.withLock {
            if case .waiting = _state {
                log.append(text)
                if let range = text.range(of: "listening on http://"),
                   let colon = text[range.upperBound...].lastIndex(of: ":"),
                   let port = Int(text[text.index(after: colon)...].prefix { $0.isNumber }) {
                    _state = .port(port)
                }
            }
        }
    }

    func finish() {
        lock.withLock { if case .waiting = _state { _state = .ended(log) } }
    }
}
