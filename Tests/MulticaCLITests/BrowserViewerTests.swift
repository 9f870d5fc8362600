import Foundation
import Testing

/// The web viewer in a real headless Chromium (SPEC §8), against a real `multica
/// serve` per scenario. The scenarios are in Tests/Browser/viewer_scenarios.py
/// (Selenium, from the venv `.ci/run` creates in .build/browser-venv).
///
/// Skipped with one printed line when Chromium, chromedriver or the venv is missing,
/// except under CI=true, where a missing tool fails the suite. A failed scenario
/// leaves a screenshot in .build/browser/.
@Suite("Web viewer in Chromium", .serialized)
struct BrowserViewerTests {
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    static let python = CLI.packageRoot.appendingPathComponent(".build/browser-venv/bin/python").path
    static let script = CLI.packageRoot.appendingPathComponent("Tests/Browser/viewer_scenarios.py").path
    static let artifacts = CLI.packageRoot.appendingPathComponent(".build/browser").path

    /// nil when everything is present; else why not.
    static let missing: String? = {
        let files = FileManager.default
        for (path, what) in [(chromium, "chromium"), (chromedriver, "chromium-driver"), (python, "the selenium venv")]
            where !files.isExecutableFile(atPath: path) {
            return "\(what) (\(path))"
        }
        return nil
    }()

    static let announced: Void = {
        if let missing = BrowserViewerTests.missing, ProcessInfo.processInfo.environment["CI"] != "true" {
            print("skipping browser tests: \(missing) is missing (run .ci/run, or apt-get install chromium chromium-driver python3-venv "
                  + "and python3 -m venv .build/browser-venv && .build/browser-venv/bin/pip install selenium)")
        }
    }()

    /// True when the scenarios can run; records a failure when CI requires them.
    private func available() -> Bool {
        guard let missing = Self.missing else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("CI=true but \(missing) is missing: .ci/run installs it")
        } else {
            _ = Self.announced
        }
        return false
    }

    @Test(arguments: ["load", "live", "move", "isolation", "recovery", "refetch", "revoked", "expired"])
    func scenario(_ name: String) async throws {
        guard available() else { return }
        let server = try await ServeProcess()
        defer { server.stop() }
        let result = try await CLI.run(
            // Niced: Chromium is the heaviest thing in the test run; timing-sensitive
            // suites running beside it (crash consistency) keep the CPU first.
            ["-n", "10", Self.python, Self.script, name, "--server", server.url, "--secret", CLI.secret, "--binary", CLI.binary.path,
             "--db", server.databasePath, "--port", String(server.port), "--serve-pid", String(server.process.process.pid),
             "--artifacts", Self.artifacts, "--chromium", Self.chromium, "--chromedriver", Self.chromedriver,
             "--docs", CLI.packageRoot.appendingPathComponent("docs/viewer.png").path],
            environment: server.environment.merging(ProcessInfo.processInfo.environment.filter {
                $0.key == "MULTICA_UPDATE_SCREENSHOT" || $0.key == "TMPDIR"
            }) { _, new in new },
            executable: URL(fileURLWithPath: "/usr/bin/nice"), timeout: .seconds(150)
        )
        for line in result.stdout.split(separator: "\n") { print("browser \(name): \(line)") }
        #expect(result.code == 0, "scenario \(name) failed:\n\(result.stdout)\n\(result.stderr)")
    }
}
