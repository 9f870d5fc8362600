import Foundation
import Testing

@testable import MulticaKit

/// SPEC §7: every refused upgrade gets its status and JSON body, checked with a raw
/// HTTP upgrade request, before any WebSocket exists.
@Suite("WebSocket upgrade rejections", .serialized)
struct RealtimeUpgradeTests {
    private func refusal(_ server: LiveServer, _ path: String, headers: [String: String] = [:]) async throws -> TestSocket.Refused {
        do {
            let socket = try await TestSocket.connect(port: server.port, path: path, headers: headers)
            await socket.close()
            Issue.record("upgrade of \(path) was accepted")
            return TestSocket.Refused(status: 101, body: "")
        } catch let refused as TestSocket.Refused {
            return refused
        }
    }

    /// A token built by hand (see `HandToken`), not by the code under test.
    private func handToken(header: String, payload: String, secret: [UInt8] = LiveServer.secret, signature: String? = nil) -> String {
        let token = HandToken.make(header: header, payload: payload, secret: secret)
        guard let signature else { return token }
        return token.split(separator: ".").prefix(2).joined(separator: ".") + "." + signature
    }

    @Test func eachRejectionHasItsStatusAndBody() async throws {
        try await LiveServer.with { server in
        let workspace = try await server.createWorkspace("Acme", owner: "alice")
        let alice = try await server.token("alice")
        let future = Int(Date().timeIntervalSince1970) + 3600
        let past = Int(Date().timeIntervalSince1970) - 10

        let missing = TestSocket.Refused(status: 401, body: #"{"error":"token and workspace_id required"}"#)
        #expect(try await refusal(server, "/ws") == missing)
        #expect(try await refusal(server, "/ws?token=\(alice)") == missing)
        #expect(try await refusal(server, "/ws?workspace_id=\(workspace)") == missing)
        #expect(try await refusal(server, "/ws?workspace_id=\(workspace)&token=") == missing)

        let invalid = TestSocket.Refused(status: 401, body: #"{"error":"invalid token"}"#)
        let hs256 = #"{"alg":"HS256","typ":"JWT"}"#
        let cases: [(String, String)] = [
            ("bad signature", handToken(header: hs256, payload: #"{"sub":"alice","exp":\#(future)}"#, secret: Array(repeating: 7, count: 40))),
            ("alg none", handToken(header: #"{"alg":"none","typ":"JWT"}"#, payload: #"{"sub":"alice","exp":\#(future)}"#, signature: "")),
            ("HS512", handToken(header: #"{"alg":"HS512","typ":"JWT"}"#, payload: #"{"sub":"alice","exp":\#(future)}"#)),
            ("expired", handToken(header: hs256, payload: #"{"sub":"alice","exp":\#(past)}"#)),
            ("blank sub", handToken(header: hs256, payload: #"{"sub":"  ","exp":\#(future)}"#)),
            ("no exp", handToken(header: hs256, payload: #"{"sub":"alice"}"#)),
            ("garbage", "not.a.token"),
        ]
        for (name, token) in cases {
            let refused = try await refusal(server, "/ws?workspace_id=\(workspace)&token=\(token)")
            #expect(refused == invalid, "\(name)")
        }
        // The header form is accepted and checked the same way.
        let viaHeader = try await refusal(server, "/ws?workspace_id=\(workspace)", headers: ["Authorization": "Bearer \(cases[0].1)"])
        #expect(viaHeader == invalid)

        let forbidden = TestSocket.Refused(status: 403, body: #"{"error":"not a member of this workspace"}"#)
        let mallory = try await server.token("mallory")
        #expect(try await refusal(server, "/ws?workspace_id=\(workspace)&token=\(mallory)") == forbidden)
        #expect(try await refusal(server, "/ws?workspace_id=ws_does_not_exist&token=\(alice)") == forbidden)

        // And the valid combination upgrades, by query or by header.
        let socket = try await TestSocket.connect(port: server.port, path: "/ws?workspace_id=\(workspace)", headers: ["Authorization": "Bearer \(alice)"])
        #expect(try await socket.texts(1)[0].contains(#""type":"hello""#))
        await socket.close()
        }
    }

    /// The authorizer keeps verified tokens (SPEC §3: an expired token is refused at the
    /// upgrade with 401): a token it has let in once must still be refused once past its
    /// `exp`, not answered from the cache.
    @Test func aTokenThatOpenedASocketIsRefusedOnceExpired() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Acme", owner: "alice")
            let token = try await server.token("alice", ttl: 2)
            let path = "/ws?workspace_id=\(workspace)&token=\(token)"
            let first = try await TestSocket.connect(port: server.port, path: path)
            #expect(try await first.texts(1)[0].contains(#""type":"hello""#))
            #expect(try await first.closeCode(timeout: 10) == 4001)
            let invalid = TestSocket.Refused(status: 401, body: #"{"error":"invalid token"}"#)
            #expect(try await refusal(server, path) == invalid)
        }
    }

    @Test func originOutsideTheAllowListIsForbidden() async throws {
        try await LiveServer.with(configure: { $0.allowedOrigins = ["https://app.example"] }) { server in
        let workspace = try await server.createWorkspace("Acme", owner: "alice")
        let path = "/ws?workspace_id=\(workspace)&token=\(try await server.token("alice"))"
        let refused = try await refusal(server, path, headers: ["Origin": "https://evil.example"])
        #expect(refused.status == 403)
        #expect(refused.body == #"{"error":"origin not allowed"}"#)
        let allowed = try await TestSocket.connect(port: server.port, path: path, headers: ["Origin": "https://app.example"])
        await allowed.close()
        }
    }

    @Test func plainGetOnWsExplainsTheRefusal() async throws {
        try await LiveServer.with { server in
            let result = try await server.http("GET", "/ws?workspace_id=x&token=\(try await server.token("alice"))")
            #expect(result.status == 403)
            #expect(result.text == #"{"error":"not a member of this workspace"}"#)
        }
    }
}
