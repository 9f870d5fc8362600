import Foundation
import MulticaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `multica verify isolation` end to end: embedded, against a real `multica serve`
/// process with a routing fault, and its setup errors.
@Suite struct VerifyIsolationCLITests {
    static let small = ["--workspaces", "2", "--clients", "2", "--events", "19"]

    @Test func embeddedServerPassesEveryRow() async throws {
        let r = try await CLI.run(["verify", "isolation"] + Self.small, timeout: .seconds(90))
        #expect(r.code == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let rows = lines.dropFirst().dropLast()
        #expect(lines.first?.hasPrefix("CHECK") == true, "\(r.stdout)")
        #expect(rows.count == 12, "\(r.stdout)")
        #expect(rows.allSatisfy { $0.contains("  ✓  ") }, "\(r.stdout)")
        #expect(!r.stdout.contains("✗"))
        #expect(!r.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        #expect(lines.last?.hasPrefix("12 of 12 checks passed against an embedded server") == true, "\(r.stdout)")
    }

    @Test func jsonReport() async throws {
        let r = try await CLI.run(["verify", "isolation", "--json"] + Self.small, timeout: .seconds(90))
        #expect(r.code == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == true)
        #expect(object["embedded"] as? Bool == true)
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.count == 12)
        #expect(checks.allSatisfy { $0["passed"] as? Bool == true && $0["name"] is String && $0["detail"] is String })
    }

    @Test func faultyServerProcessExitsOneNamingTheLeak() async throws {
        let env = CLI.environment(extra: ["MULTICA_TEST_ROUTING_FAULT": "broadcast-everywhere"])
        let server = try await ServeProcess(environment: env)
        defer { server.stop() }
        let r = try await CLI.run(["verify", "isolation", "--server", server.url] + Self.small,
                                  environment: CLI.environment(), timeout: .seconds(90))
        #expect(r.code == 1, "\(r.stdout)\n\(r.stderr)")
        let leak = /multica: isolation check failed: no foreign event: leak: ([a-z]+:[a-z]+) seq \d+ of workspace #\d \(\S+\) reached socket \d of workspace #\d/
        #expect(r.stderr.firstMatch(of: leak) != nil, "\(r.stderr)")
        #expect(r.stderr.contains("multica: isolation violated:"), "\(r.stderr)")
        #expect(r.stdout.contains("✗"))
    }

    @Test func healthyServerProcessPasses() async throws {
        let server = try await ServeProcess(environment: CLI.environment())
        defer { server.stop() }
        let r = try await CLI.run(["verify", "isolation", "--server", server.url, "--json"] + Self.small, timeout: .seconds(90))
        #expect(r.code == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("\"passed\":true"))
    }

    @Test func repeatedServerFlagsSpreadTheRunAndNameEveryNode() async throws {
        // The same node twice: the run spreads clients and publishers over both
        // addresses (a two-node PostgreSQL setup uses the same path) and reports both.
        let server = try await ServeProcess(environment: CLI.environment())
        defer { server.stop() }
        let alias = server.url + "/"
        let r = try await CLI.run(["verify", "isolation", "--server", server.url, "--server", alias, "--json"] + Self.small,
                                  timeout: .seconds(90))
        #expect(r.code == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("\"passed\":true"))
        #expect(r.stdout.contains(" + "), "the report names both nodes: \(r.stdout)")
    }

    /// Two `serve` processes on one PostgreSQL database (issue 9): clients and publishers
    /// spread over both, so every event crosses nodes through the shared log.
    @Test(.enabled(if: PostgresCluster.enabled))
    func twoPostgreSQLNodesPassAndAFaultyNodeFails() async throws {
        let cluster = try await PostgresCluster.shared()
        let location = try await cluster.makeDatabase("verify")
        let url = "postgres://\(location.user):unused@\(location.host):\(location.port)/\(location.database)"
        let nodeA = try await ServeProcess(databasePath: url, environment: CLI.environment())
        defer { nodeA.stop() }
        let nodeB = try await ServeProcess(databasePath: url, environment: CLI.environment())
        defer { nodeB.stop() }
        let healthy = try await CLI.run(
            ["verify", "isolation", "--server", nodeA.url, "--server", nodeB.url, "--json"] + Self.small, timeout: .seconds(120))
        #expect(healthy.code == 0, "\(healthy.stdout)\n\(healthy.stderr)")
        #expect(healthy.stdout.contains("\"passed\":true"))

        let faulty = try await ServeProcess(
            databasePath: url, environment: CLI.environment(extra: ["MULTICA_TEST_ROUTING_FAULT": "broadcast-everywhere"]))
        defer { faulty.stop() }
        let leaking = try await CLI.run(
            ["verify", "isolation", "--server", nodeA.url, "--server", faulty.url] + Self.small,
            environment: CLI.environment(), timeout: .seconds(120))
        #expect(leaking.code == 1, "\(leaking.stdout)\n\(leaking.stderr)")
        #expect(leaking.stderr.contains("multica: isolation violated:"), "\(leaking.stderr)")
    }

    @Test func unreachableServerExitsThree() async throws {
        let r = try await CLI.run(["verify", "isolation", "--server", "http://127.0.0.1:1"] + Self.small)
        #expect(r.code == 3, "\(r.stderr)")
        #expect(r.stderr.contains("cannot reach the server at http://127.0.0.1:1"), "\(r.stderr)")
    }

    @Test func serverModeWithoutASecretExitsOne() async throws {
        let r = try await CLI.run(["verify", "isolation", "--server", "http://127.0.0.1:1"], environment: CLI.environment(secret: nil))
        #expect(r.code == 1, "\(r.stderr)")
        #expect(r.stderr.contains("needs the server's signing secret"), "\(r.stderr)")
        #expect(r.stderr.contains("no JWT secret"), "\(r.stderr)")
    }

    @Test func oneClientIsAUsageError() async throws {
        let r = try await CLI.run(["verify", "isolation", "--clients", "1"])
        #expect(r.code == 2)
        #expect(r.stderr.contains("--clients: must be at least 2"), "\(r.stderr)")
    }
}
