import Foundation
import Testing
@testable import MulticaKit

/// The verified-token and membership caches must never let in what storage and the
/// token itself would refuse.
@Suite("Authentication caches")
struct AuthCacheTests {
    @Test func aRemovedMemberIsRefusedAtOnceAndAReAddedOneLetInAgain() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            for round in 0..<5 {
                // Warm both caches, then change the membership and ask again at once.
                #expect(try await bob.send("GET", "/api/issues?workspace_id=\(workspace)").status == 200, "round \(round)")
                try await alice.expect(204, "DELETE", "/api/workspaces/\(workspace)/members/bob")
                #expect(try await bob.send("GET", "/api/issues?workspace_id=\(workspace)").status == 403, "round \(round)")
                #expect(try await bob.send("GET", "/api/inbox?workspace_id=\(workspace)").status == 403)
                try await alice.addMember("bob", to: workspace)
            }
            #expect(try await bob.send("GET", "/api/issues?workspace_id=\(workspace)").status == 200)
            // A deleted workspace is refused at once too.
            try await alice.expect(204, "DELETE", "/api/workspaces/\(workspace)")
            #expect(try await bob.send("GET", "/api/issues?workspace_id=\(workspace)").status == 403)
        }
    }

    @Test func aForgedMemberEventDoesNotChangeAccess() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            #expect(try await alice.send("GET", "/api/issues?workspace_id=\(workspace)").status == 200)
            let forged = #"{"type":"member:removed","workspace_id":"\#(workspace)","payload":{"user_id":"alice","workspace_id":"\#(workspace)","member_id":"x"}}"#
            _ = try await alice.send("POST", "/api/events", json: forged)
            #expect(try await alice.send("GET", "/api/issues?workspace_id=\(workspace)").status == 200)
        }
    }

    @Test func aCachedTokenStopsWorkingAtItsExpiry() async throws {
        try await LiveServer.with { server in
            // 8 s, not 2: under the full suite's load the two requests below once took
            // longer than a 2 s token's life (`exp` is in whole seconds, so even less).
            let expiresAt = Date().addingTimeInterval(8)
            let token = try await server.token("carol", ttl: 8)
            let carol = APIClient(port: server.port, token: token, userID: "carol")
            #expect(try await carol.send("GET", "/api/workspaces").status == 200)
            #expect(try await carol.send("GET", "/api/workspaces").status == 200)
            try await Task.sleep(for: .milliseconds(Int(max(0, expiresAt.timeIntervalSinceNow) * 1000) + 600))
            let expired = try await carol.send("GET", "/api/workspaces")
            #expect(expired.status == 401)
            #expect(expired.error?.contains("expired") == true)
        }
    }
}
