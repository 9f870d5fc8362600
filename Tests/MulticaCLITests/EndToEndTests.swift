import Foundation
import MulticaKit
import Testing

/// The built binary against a real `multica serve` process: admin commands, emit and
/// tail in both output modes, a tail that survives a server restart, and the server's
/// own signals and port handling.
@Suite("End to end", .serialized)
struct EndToEndTests {
    /// A running server, a token for `alice` and a workspace she owns.
    struct Setup {
        let serve: ServeProcess
        let env: [String: String]
        let workspace: String
    }

    private func setUp() async throws -> Setup {
        let serve = try await ServeProcess()
        let minted = try await CLI.run(["token", "mint", "--user", "alice", "-q"], environment: serve.environment)
        #expect(minted.code == 0)
        var env = serve.environment
        env["MULTICA_TOKEN"] = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        env["MULTICA_SERVER"] = serve.url
        let created = try await CLI.run(["workspace", "create", "Acme", "--json"], environment: env)
        #expect(created.code == 0, "\(created.stderr)")
        let workspace = try JSONDecoder().decode(JSONValue.self, from: Data(created.stdout.utf8))["id"]?.stringValue ?? ""
        #expect(workspace.hasPrefix("ws_"))
        return Setup(serve: serve, env: env, workspace: workspace)
    }

    private func envelopes(_ lines: [String]) throws -> [EventEnvelope] {
        try lines.map { try EventEnvelope(frame: Array($0.utf8)) }
    }

    @Test func adminCommandsCreateListAndShow() async throws {
        let setup = try await setUp()
        defer { setup.serve.stop() }
        let env = setup.env
        let added = try await CLI.run(["member", "add", "--workspace", setup.workspace, "--user", "bob", "--json"], environment: env)
        #expect(added.code == 0, "\(added.stderr)")
        let members = try await CLI.run(["member", "list", "--workspace", setup.workspace, "--json"], environment: env)
        let users = try EventJSON.decoder.decode([Member].self, from: Data(members.stdout.utf8)).map(\.userID)
        #expect(Set(users) == ["alice", "bob"])
        let duplicate = try await CLI.run(["member", "add", "--workspace", setup.workspace, "--user", "bob"], environment: env)
        #expect(duplicate.code == 1)
        #expect(duplicate.stderrLines.count == 1)
        let table = try await CLI.run(["workspace", "list"], environment: env)
        #expect(table.code == 0)
        #expect(table.stdout.contains(setup.workspace))
        let show = try await CLI.run(["workspace", "show", setup.workspace, "--json"], environment: env)
        #expect(show.stdout.contains(#""name":"Acme""#))
        let removed = try await CLI.run(["member", "remove", "--workspace", setup.workspace, "--user", "bob"], environment: env)
        #expect(removed.code == 0, "\(removed.stderr)")
        var stranger = env
        stranger["MULTICA_TOKEN"] = try await CLI.run(["token", "mint", "--user", "mallory", "-q"], environment: env).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let forbidden = try await CLI.run(["workspace", "show", setup.workspace], environment: stranger)
        #expect(forbidden.code == 1)
        #expect(forbidden.stderr.contains("not a member of this workspace"))
    }

    @Test(arguments: ["ws", "http"])
    func tailJSONPrintsExactlyWhatEmitSent(via: String) async throws {
        let setup = try await setUp()
        defer { setup.serve.stop() }
        // Start from the current head so the tail sees exactly the emitted events.
        let tail = try BackgroundProcess(
            ["tail", "--workspace", setup.workspace, "--since", "2", "--count", "4", "--json"], environment: setup.env
        )
        defer { tail.stop() }
        let payload = #"{"big":12345678901234567890,"f":1.50,"k":"v"}"#
        let custom = try await CLI.run(
            ["emit", "event", "deploy:finished", "--workspace", setup.workspace, "--payload", payload, "--json", "--via", via],
            environment: setup.env
        )
        #expect(custom.code == 0, "\(custom.stderr)")
        let generated = try await CLI.run(
            ["emit", "event", "issue:created", "--workspace", setup.workspace, "--count", "3", "--json", "--via", via],
            environment: setup.env
        )
        #expect(generated.code == 0, "\(generated.stderr)")
        #expect(try await tail.waitForExit() == 0, "\(tail.stderr)")
        let acks = (custom.stdout + generated.stdout).split(separator: "\n").map {
            try! JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
        }
        let received = try envelopes(tail.stdoutLines)
        #expect(received.map(\.seq) == [3, 4, 5, 6])
        #expect(received.map(\.id) == acks.compactMap { $0["id"]?.stringValue })
        #expect(acks.map { $0["seq"]?.intValue } == [3, 4, 5, 6])
        #expect(received.map(\.type.rawValue) == ["deploy:finished", "issue:created", "issue:created", "issue:created"])
        #expect(String(decoding: received[0].payload.bytes, as: UTF8.self) == payload, "payload relayed byte for byte")
        #expect(received.allSatisfy { $0.synthetic && $0.workspaceID == setup.workspace })
    }

    @Test func tailHumanLinesAndEventsListAgree() async throws {
        let setup = try await setUp()
        defer { setup.serve.stop() }
        let tail = try BackgroundProcess(
            ["tail", "--workspace", setup.workspace, "--since", "2", "--count", "3", "--type", "comment:*"], environment: setup.env
        )
        defer { tail.stop() }
        for type in ["issue:created", "comment:created", "agent:created", "comment:updated", "comment:deleted"] {
            let result = try await CLI.run(["emit", "event", type, "--workspace", setup.workspace], environment: setup.env)
            #expect(result.code == 0, "\(result.stderr)")
        }
        #expect(try await tail.waitForExit() == 0, "\(tail.stderr)")
        let lines = tail.stdoutLines
        #expect(lines.count == 3)
        #expect(lines[0].contains("#4") && lines[0].contains("comment:created"))
        #expect(lines[1].contains("#6") && lines[1].contains("comment:updated"))
        #expect(lines[2].contains("#7") && lines[2].contains("comment:deleted"))
        let history = try await CLI.run(
            ["events", "list", "--workspace", setup.workspace, "--since", "2", "--json"], environment: setup.env
        )
        #expect(history.code == 0)
        #expect(try envelopes(history.stdout.split(separator: "\n").map(String.init)).map(\.seq) == [3, 4, 5, 6, 7])
    }

    @Test func tailResumesAcrossAServerRestartWithNoGapAndNoDuplicate() async throws {
        let setup = try await setUp()
        defer { setup.serve.stop() }
        let tail = try BackgroundProcess(
            ["tail", "--workspace", setup.workspace, "--since", "2", "--count", "20", "--json"], environment: setup.env
        )
        defer { tail.stop() }
        let first = try await CLI.run(["emit", "event", "task:progress", "--workspace", setup.workspace, "--count", "10"], environment: setup.env)
        #expect(first.code == 0, "\(first.stderr)")
        try await tail.waitUntil("the first 10 events") { tail.stdoutLines.count >= 10 }
        setup.serve.process.signal(SIGKILL)
        _ = try await setup.serve.process.waitForExit()
        // Published while the tail is disconnected… after the restart.
        try await setup.serve.restart()
        let second = try await CLI.run(["emit", "event", "task:progress", "--workspace", setup.workspace, "--count", "10"], environment: setup.env)
        #expect(second.code == 0, "\(second.stderr)")
        #expect(try await tail.waitForExit(timeout: .seconds(60)) == 0, "\(tail.stderr)")
        #expect(try envelopes(tail.stdoutLines).map(\.seq) == Array(3...22))
        #expect(tail.stderr.contains("reconnect"), "the tail says it reconnected: \(tail.stderr)")
    }

    @Test func refusedTailEndsWithTheReasonInsteadOfRetrying() async throws {
        let setup = try await setUp()
        defer { setup.serve.stop() }
        var stranger = setup.env
        stranger["MULTICA_TOKEN"] = try await CLI.run(["token", "mint", "--user", "mallory", "-q"], environment: setup.env).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let notMember = try await CLI.run(["tail", "--workspace", setup.workspace], environment: stranger, timeout: .seconds(15))
        #expect(notMember.code == 1)
        #expect(notMember.stderr.contains("not a member"))
        var forged = setup.env
        forged["MULTICA_JWT_SECRET"] = String(repeating: "f", count: 64)
        forged["MULTICA_TOKEN"] = try await CLI.run(["token", "mint", "--user", "alice", "-q"], environment: forged).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let invalid = try await CLI.run(["tail", "--workspace", setup.workspace], environment: forged, timeout: .seconds(15))
        #expect(invalid.code == 1)
        #expect(invalid.stderr.contains("invalid token"))
    }

    @Test func serveStopsGracefullyOnSIGTERMAndSIGINT() async throws {
        for signal in [SIGTERM, SIGINT] {
            let setup = try await setUp()
            defer { setup.serve.stop() }
            let tail = try BackgroundProcess(["tail", "--workspace", setup.workspace, "--no-reconnect"], environment: setup.env)
            defer { tail.stop() }
            try await Task.sleep(for: .milliseconds(500))
            let started = ContinuousClock.now
            setup.serve.process.signal(signal)
            #expect(try await setup.serve.process.waitForExit(timeout: .seconds(10)) == 0)
            #expect(ContinuousClock.now - started < .seconds(5), "serve took too long to stop on signal \(signal)")
            // The tail was told the server is going away (1001), not just cut off.
            #expect(try await tail.waitForExit() == 1)
            #expect(tail.stderr.contains("1001"), "\(tail.stderr)")
        }
    }

    @Test func secondServeOnABusyPortFailsClearly() async throws {
        let first = try await ServeProcess()
        defer { first.stop() }
        let second = try await CLI.run(
            ["serve", "--listen", "127.0.0.1:\(first.port)", "--db", first.environment["MULTICA_HOME"]! + "/other.db"],
            environment: first.environment, timeout: .seconds(20)
        )
        #expect(second.code == 1)
        #expect(second.stderr.contains("address already in use"), "\(second.stderr)")
    }
}
