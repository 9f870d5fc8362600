import Foundation
import MulticaTestSupport
import Testing

/// Runs the built `multica` binary: the one next to this test binary in the build
/// directory (so `--scratch-path` runs its own build), else `<package root>/.build/debug/multica`.
///
/// The test target does not depend on the executable; `swift test` builds every
/// target of the package, the executable included, before running tests.
enum CLI {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MulticaCLITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let binary: URL = {
        let sibling = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("multica")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        return packageRoot.appendingPathComponent(".build/debug/multica")
    }()

    /// 64 bytes.
    static let secret = String(repeating: "0123456789abcdef", count: 4)

    struct Result: Sendable {
        var code: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    }

    /// A fresh temporary MULTICA_HOME and the 64-byte secret; nothing inherited but PATH.
    static func environment(secret: String? = CLI.secret, extra: [String: String] = [:]) -> [String: String] {
        let home = NSTemporaryDirectory() + "multica-cli-\(UUID().uuidString)"
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home, "MULTICA_HOME": home + "/state"]
        if let secret { env["MULTICA_JWT_SECRET"] = secret }
        env.merge(extra) { _, new in new }
        return env
    }

    static func run(
        _ arguments: [String], environment: [String: String] = CLI.environment(), stdin: String? = nil,
        executable: URL = CLI.binary, timeout: Duration = .seconds(30)
    ) async throws -> Result {
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path),
            "\(executable.path) is missing: run `swift build` (swift test builds it) first"
        )
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("multica-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let inURL = scratch.appendingPathComponent("in")
        try Data((stdin ?? "").utf8).write(to: inURL)
        let process = try ChildProcess(
            executable: executable.path, arguments: arguments, environment: environment,
            stdinPath: inURL.path, stdoutPath: outURL.path, stderrPath: errURL.path
        )
        let deadline = ContinuousClock.now + timeout
        var code = process.poll()
        while code == nil {
            if ContinuousClock.now > deadline {
                process.signal(SIGKILL)
                Issue.record("\(arguments) did not finish within \(timeout)")
                code = process.waitBlocking()
                break
            }
            try await Task.sleep(for: .milliseconds(5))
            code = process.poll()
        }
        return Result(
            code: code ?? -1,
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8)
        )
    }

    /// Runs `python3 -c script args…` and returns its trimmed stdout.
    static func python(_ script: String, _ arguments: [String]) async throws -> Result {
        try await run(["python3", "-c", script] + arguments, environment: environment(),
                      executable: URL(fileURLWithPath: "/usr/bin/env"))
    }
}
