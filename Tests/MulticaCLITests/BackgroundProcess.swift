import Foundation
import MulticaTestSupport
import Testing

/// A `multica` process left running while a test works (a server, a tail), with its
/// output captured to files that the test can poll. Always `stop()` it: a test that
/// fails early still kills its children.
final class BackgroundProcess: Sendable {
    let process: ChildProcess
    private let scratch: URL
    private let outURL: URL
    private let errURL: URL

    /// `launcher` runs the binary through another program (`["taskset", "-c", "0"]`).
    init(_ arguments: [String], environment: [String: String], launcher: [String] = []) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("multica-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outURL = scratch.appendingPathComponent("out")
        errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let command = launcher + [CLI.binary.path] + arguments
        process = try ChildProcess(
            executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
            stdinPath: nil, stdoutPath: outURL.path, stderrPath: errURL.path
        )
    }

    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Polls until `condition` holds; fails with what the process printed so far.
    func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw ProcessTimeout(what: what, stdout: stdout, stderr: stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the process to exit by itself; returns its status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        try await waitUntil("exit", timeout: timeout) { !process.isRunning }
        return process.poll() ?? -1
    }

    func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// Kills the process if it still runs and removes its files.
    func stop() {
        if process.isRunning {
            process.signal(SIGKILL)
            _ = process.waitBlocking()
        }
        try? FileManager.default.removeItem(at: scratch)
    }
}

struct ProcessTimeout: Error, CustomStringConvertible {
    let what: String
    let stdout: String
    let stderr: String
    var description: String { "timed out waiting for \(what)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// `multica serve` on a loopback port and a temporary database.
final class ServeProcess: @unchecked Sendable {
    private(set) var process: BackgroundProcess
    let port: Int
    let databasePath: String
    let environment: [String: String]
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts on a free port (or `port`), waits until it listens.
    init(port: Int = 0, databasePath: String? = nil, environment: [String: String] = CLI.environment()) async throws {
        self.environment = environment
        self.databasePath = databasePath ?? (environment["MULTICA_HOME"]! + "/e2e.db")
        let process = try BackgroundProcess(["serve", "--listen", "127.0.0.1:\(port)", "--db", self.databasePath], environment: environment)
        do {
            try await process.waitUntil("serve to listen") { process.stderr.contains("listening on http://") }
        } catch {
            process.stop()
            throw error
        }
        self.process = process
        let line = process.stderr.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        self.port = Int(line.split(separator: ":").last ?? "") ?? port
    }

    /// Starts the same server again (same port, same database) after a stop.
    func restart() async throws {
        process.stop()
        let process = try BackgroundProcess(["serve", "--listen", "127.0.0.1:\(port)", "--db", databasePath], environment: environment)
        do {
            try await process.waitUntil("serve to listen again") { process.stderr.contains("listening on http://") }
        } catch {
            process.stop()
            throw error
        }
        self.process = process
    }

    func stop() { process.stop() }
}
