import Foundation
import MulticaKit
import MulticaTestSupport
import Testing

/// Issue 9's outage case with real processes: a `multica serve` on PostgreSQL, a
/// `multica tail` on it, and the database stopped and started under them.
@Suite("PostgreSQL: database down, real processes", .enabled(if: PostgresCluster.enabled), .serialized)
struct PostgresOutageCLITests {
    @Test func tailRunningThroughADatabaseRestartEndsWithEveryCommittedEvent() async throws {
        let cluster = try await PostgresCluster.dedicated()
        defer { cluster.stop() }
        let location = try await cluster.makeDatabase("tailoutage")
        let url = "postgres://\(location.user):unused@\(location.host):\(location.port)/\(location.database)"
        let serve = try await ServeProcess(databasePath: url)
        defer { serve.stop() }
        let minted = try await CLI.run(["token", "mint", "--user", "alice", "-q"], environment: serve.environment)
        #expect(minted.code == 0, "\(minted.stderr)")
        var env = serve.environment
        env["MULTICA_TOKEN"] = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        env["MULTICA_SERVER"] = serve.url
        let created = try await CLI.run(["workspace", "create", "Outage", "--json"], environment: env)
        #expect(created.code == 0, "\(created.stderr)")
        let workspace = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(created.stdout.utf8))["id"]?.stringValue)
        let readiness = MulticaHTTPClient(server: try ServerAddress(serve.url), token: nil, timeout: .seconds(5))
        func ready() async -> Int? { try? await readiness.send(.GET, "/readyz").status }

        // The tail starts at the head that creating the workspace left, and wants the next 10.
        let history = try await CLI.run(["events", "list", "--workspace", workspace, "--json"], environment: env)
        let head = try history.stdout.split(separator: "\n").map { try EventEnvelope(frame: Array($0.utf8)).seq }.max() ?? 0
        let tail = try BackgroundProcess(
            ["tail", "--workspace", workspace, "--since", "\(head)", "--count", "10", "--json"], environment: env)
        defer { tail.stop() }
        let before = try await CLI.run(["emit", "event", "task:progress", "--workspace", workspace, "--count", "5"], environment: env)
        #expect(before.code == 0, "\(before.stderr)")
        try await tail.waitUntil("the first 5 events") { tail.stdoutLines.count >= 5 }
        #expect(await ready() == 200)

        try await onThread { try cluster.stopServer() }
        try await waitFor("/readyz 503 while the database is down") { await ready() == 503 }
        let refused = try await CLI.run(
            ["emit", "event", "task:progress", "--workspace", workspace, "--via", "http"], environment: env)
        #expect(refused.code == 1, "a refused write is an operation failure: \(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("503") || refused.stderr.contains("storage unavailable"), "\(refused.stderr)")

        try await onThread { try cluster.start() }
        try await waitFor("/readyz 200 after the restart", timeout: .seconds(40)) { await ready() == 200 }
        // The pool may still be reconnecting for a moment after /readyz: retry until accepted.
        var accepted = false
        for _ in 0..<50 where !accepted {
            let after = try await CLI.run(["emit", "event", "task:progress", "--workspace", workspace, "--count", "5"], environment: env)
            accepted = after.code == 0
            if !accepted { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(accepted)
        #expect(try await tail.waitForExit(timeout: .seconds(60)) == 0, "\(tail.stderr)")
        let seqs = try tail.stdoutLines.map { try EventEnvelope(frame: Array($0.utf8)).seq }
        #expect(seqs == Array((head + 1)...(head + 10)), "no gap, no duplicate, nothing of the refused write: \(seqs)")
        await readiness.shutdown()
    }

    private func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessTimeout(what: what, stdout: "", stderr: "")
    }
}
