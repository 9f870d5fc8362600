import Foundation
import Testing

@testable import MulticaKit

/// `IsolationVerifier` passes against a healthy server and fails, naming the leak,
/// against one with a routing fault injected through `ServerConfiguration.routingFault`.
@Suite struct IsolationVerifierTests {
    static let options = IsolationVerifier.Options(
        workspaces: 2, clients: 2, events: 19, waitTimeout: .seconds(5), settle: .milliseconds(200))

    static func verify(_ server: LiveServer) async throws -> IsolationReport {
        let address = try ServerAddress("http://127.0.0.1:\(server.port)")
        return try await withTimeout(60, "verify isolation") {
            try await IsolationVerifier(target: .server(address, secret: LiveServer.secret), options: Self.options).run()
        }
    }

    static let names = [
        "no foreign event", "own events exactly once, in seq order",
        "reject: no token", "reject: no workspace_id", "reject: bad signature", "reject: alg none", "reject: expired token",
        "reject: not a member", "reject: no such workspace",
        "inbox only to its recipient", "removed member closed with 4003", "resume with since",
    ]

    @Test func passesAgainstAHealthyServerAndDeletesItsWorkspaces() async throws {
        let (report, workspacesLeft) = try await LiveServer.with { server in
            (try await Self.verify(server), try server.rowCount("workspace"))
        }
        #expect(report.passed, "\(report.failures)")
        #expect(report.checks.map(\.name) == Self.names)
        #expect(report.eventsPerWorkspace == 19)
        #expect(!report.embedded)
        #expect(workspacesLeft == 0)
    }

    @Test func failsNamingTheLeakedEventWhenEventsCrossWorkspaces() async throws {
        let report = try await LiveServer.with(configure: { $0.routingFault = .broadcastEverywhere }) { try await Self.verify($0) }
        #expect(!report.passed)
        let foreign = try #require(report.checks.first { $0.name == "no foreign event" })
        #expect(!foreign.passed)
        // "leak: issue:created seq 3 of workspace #1 (ws_…) reached socket 1 of workspace #2 (ws_…), user verify-…"
        let pattern = /leak: ([a-z]+:[a-z]+) seq \d+ of workspace #(\d) \((\S+)\) reached socket \d of workspace #(\d) \((\S+)\), user verify-/
        let match = try #require(foreign.detail.firstMatch(of: pattern), "\(foreign.detail)")
        #expect(EventType(rawValue: String(match.1))?.isCatalog == true)
        #expect(match.2 != match.4)
        #expect(match.3 != match.5)
        // The refusals do not depend on routing.
        let refusals = report.checks.filter { $0.name.hasPrefix("reject:") }
        #expect(refusals.count == 7 && refusals.allSatisfy { $0.passed })
    }

    @Test func failsTheInboxCheckWhenInboxEventsGoToTheWholeWorkspace() async throws {
        let report = try await LiveServer.with(configure: { $0.routingFault = .inboxToWorkspace }) { try await Self.verify($0) }
        #expect(!report.passed)
        let inbox = try #require(report.checks.first { $0.name == "inbox only to its recipient" })
        #expect(!inbox.passed)
        #expect(inbox.detail.firstMatch(of: /^inbox:(new|read|archived) seq \d+ of workspace #\d \(\S+\), addressed to verify-\S+, reached socket/) != nil,
                "\(inbox.detail)")
        #expect(report.checks.first { $0.name == "no foreign event" }?.passed == true)
        #expect(report.failures.map(\.name) == ["inbox only to its recipient"], "\(report.failures)")
    }

    @Test func embeddedServerPasses() async throws {
        let report = try await withTimeout(60, "embedded verify") {
            // A passing run waits for nothing that does not come: a longer bound costs
            // nothing here and keeps a loaded CI machine from failing it (it did at 5 s,
            // with the whole test process starting at once).
            var options = Self.options
            options.waitTimeout = .seconds(15)
            return try await IsolationVerifier(target: .embedded, options: options).run()
        }
        #expect(report.passed, "\(report.failures)")
        #expect(report.embedded)
    }

    @Test func unreachableServerIsASetupError() async throws {
        let address = try ServerAddress("http://127.0.0.1:1")
        do {
            _ = try await withTimeout(30, "verify unreachable") {
                try await IsolationVerifier(target: .server(address, secret: LiveServer.secret), options: Self.options).run()
            }
            Issue.record("expected an error")
        } catch let error as IsolationSetupError {
            #expect(error.isUnreachable, "\(error)")
        }
    }

    @Test func noSecretIsAClearError() throws {
        let home = NSTemporaryDirectory() + "multica-nosecret-\(UUID().uuidString)"
        #expect(throws: IsolationSetupError.self) {
            try IsolationVerifier.resolveSecret(environment: ["HOME": home, "MULTICA_HOME": home])
        }
        #expect(!FileManager.default.fileExists(atPath: home + "/jwt-secret"))
    }
}
