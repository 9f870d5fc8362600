import Foundation
import Testing

@testable import MulticaKit

/// SPEC §7: a browser authenticates with `Sec-WebSocket-Protocol: multica.v1,
/// bearer.<jwt>`; the server answers `multica.v1` and checks the token before the
/// upgrade, with the same 401/403 answers as the other token forms.
@Suite("WebSocket subprotocol auth", .serialized)
struct RealtimeSubprotocolTests {
    private func refusal(_ server: LiveServer, _ path: String, protocols: String) async throws -> TestSocket.Refused {
        do {
            let socket = try await TestSocket.connect(port: server.port, path: path, headers: ["Sec-WebSocket-Protocol": protocols])
            await socket.close()
            Issue.record("upgrade with \(protocols) was accepted")
            return TestSocket.Refused(status: 101, body: "")
        } catch let refused as TestSocket.Refused {
            return refused
        }
    }

    @Test func bearerSubprotocolUpgradesAndAnswersMulticaV1() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Acme", owner: "alice")
            let alice = try await server.token("alice")
            let socket = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)",
                headers: ["Sec-WebSocket-Protocol": "multica.v1, bearer.\(alice)"]
            )
            #expect(socket.responseHeaders["sec-websocket-protocol"] == "multica.v1")
            let hello = try await socket.texts(1)[0]
            #expect(hello.contains(#""type":"hello""#))
            #expect(hello.contains(#""user_id":"alice""#))
            // Events flow as on any socket.
            let seq = try await server.emit("issue:created", in: workspace, by: "alice", payload: #"{"marker":"subprotocol"}"#)
            let event = try await socket.texts(1)[0]
            #expect(event.contains(#""seq":\#(seq)"#))
            await socket.close()

            // The token may come first in the list too; the answer is still multica.v1.
            let reversed = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)",
                headers: ["Sec-WebSocket-Protocol": "bearer.\(alice), multica.v1"]
            )
            #expect(reversed.responseHeaders["sec-websocket-protocol"] == "multica.v1")
            await reversed.close()
        }
    }

    @Test func bearerSubprotocolIsCheckedBeforeTheUpgrade() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Acme", owner: "alice")
            let path = "/ws?workspace_id=\(workspace)"
            let expired = try await server.token("alice", ttl: -10)
            let mallory = try await server.token("mallory")

            let invalid = TestSocket.Refused(status: 401, body: #"{"error":"invalid token"}"#)
            #expect(try await refusal(server, path, protocols: "multica.v1, bearer.\(expired)") == invalid)
            #expect(try await refusal(server, path, protocols: "multica.v1, bearer.not.a.token") == invalid)

            let missing = TestSocket.Refused(status: 401, body: #"{"error":"token and workspace_id required"}"#)
            #expect(try await refusal(server, path, protocols: "multica.v1") == missing)
            #expect(try await refusal(server, path, protocols: "multica.v1, bearer.") == missing)
            #expect(try await refusal(server, "/ws", protocols: "multica.v1, bearer.\(try await server.token("alice"))") == missing)

            let forbidden = TestSocket.Refused(status: 403, body: #"{"error":"not a member of this workspace"}"#)
            #expect(try await refusal(server, path, protocols: "multica.v1, bearer.\(mallory)") == forbidden)
        }
    }

    /// The page learns why an upgrade was refused with a plain GET /ws: same answers.
    @Test func plainGetOfWsGivesTheSameVerdict() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Acme", owner: "alice")
            let alice = try await server.token("alice")
            let mallory = try await server.token("mallory")
            let path = "/ws?workspace_id=\(workspace)"
            #expect(try await server.http("GET", path, headers: ["Sec-WebSocket-Protocol": "multica.v1, bearer.\(alice)"]).status == 426)
            #expect(try await server.http("GET", path, headers: ["Sec-WebSocket-Protocol": "multica.v1, bearer.\(mallory)"]).status == 403)
            #expect(try await server.http("GET", path, token: mallory).status == 403)
            #expect(try await server.http("GET", path, token: try await server.token("alice", ttl: -10)).status == 401)
        }
    }
}
