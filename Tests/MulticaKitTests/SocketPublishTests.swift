import Foundation
import Testing
@testable import MulticaKit

/// Publishing over the WebSocket (SPEC §7): pipelined `publish` frames, acks in order
/// after commit, errors per frame, publish-only sockets, and nothing dropped.
@Suite("WebSocket publish")
struct SocketPublishTests {
    private func frame(_ ref: String, payload: String, type: String = "deploy:done") -> String {
        #"{"type":"publish","ref":"\#(ref)","event":{"type":"\#(type)","payload":\#(payload)}}"#
    }

    @Test func pipelinedPublishesAreAckedInOrderAndRelayedByteForByte() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let token = try await server.token("alice")
            let auth = ["Authorization": "Bearer \(token)"]
            let subscriber = try await TestSocket.connect(port: server.port, path: "/ws?workspace_id=\(workspace)", headers: auth)
            let publisher = try await TestSocket.connect(port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=false", headers: auth)
            defer { Task { await subscriber.close(); await publisher.close() } }
            _ = try await subscriber.texts(1)
            let hello = try JSONDecoder().decode(JSONValue.self, from: Data(try await publisher.texts(1)[0].utf8))
            #expect(hello.string("type") == "hello")
            let head = try await alice.headSeq(workspace)

            let count = 300
            let bad = 137
            for i in 0..<count {
                // Key order, spacing and a 19-digit integer must survive as sent; refs may repeat.
                let payload = i == bad ? #"[1]"# : #"{"z": \#(i), "a":1234567890123456789}"#
                try await publisher.send(text: frame(i.isMultiple(of: 50) ? "same" : "r\(i)", payload: payload))
            }
            let replies = try await publisher.texts(count, timeout: 30).map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            var expectedSeq = head
            for (i, reply) in replies.enumerated() {
                #expect(reply.string("ref") == (i.isMultiple(of: 50) ? "same" : "r\(i)"), "reply \(i) out of order")
                if i == bad {
                    #expect(reply.string("type") == "error")
                    #expect(reply["status"]?.intValue == 400)
                    #expect(reply.string("error").contains("payload"))
                } else {
                    expectedSeq += 1
                    #expect(reply.string("type") == "ack")
                    #expect(reply["seq"]?.intValue == expectedSeq)
                    #expect(reply.string("id").hasPrefix("evt_"))
                }
            }
            let events = try await subscriber.texts(count - 1, timeout: 30).map { try EventEnvelope(frame: Array($0.utf8)) }
            #expect(events.map(\.seq) == Array((head + 1)...(head + Int64(count - 1))))
            #expect(events.allSatisfy { $0.synthetic && $0.actorID == "alice" })
            #expect(String(decoding: events[0].payload.bytes, as: UTF8.self) == #"{"z": 0, "a":1234567890123456789}"#)
            // A publish-only socket gets no events.
            try await publisher.send(text: #"{"type":"ping"}"#)
            #expect(try await publisher.texts(1)[0] == #"{"type":"pong"}"#)
            // Every frame handed to the loops was accounted as written: the backlog that
            // holds commits back is empty again.
            #expect(server.server.hub.backlog.pending == 0)
        }
    }

    @Test func publishFollowsTheRulesOfPostEvents() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let other = try await alice.createWorkspace("Other")
            // A server admin may join any workspace's stream, but publishing needs membership.
            let admin = try await server.token("root", admin: true)
            let socket = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=false", headers: ["Authorization": "Bearer \(admin)"]
            )
            defer { Task { await socket.close() } }
            _ = try await socket.texts(1)
            try await socket.send(text: frame("a", payload: "{}"))
            try await socket.send(text: frame("b", payload: "{}", type: "issue:craeted"))
            try await socket.send(text: #"{"type":"publish","ref":"c","event":{"type":"x:y","workspace_id":"\#(other)","payload":{}}}"#)
            try await socket.send(text: #"{"type":"publish","ref":"\#(String(repeating: "r", count: 65))","event":{}}"#)
            let replies = try await socket.texts(4).map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            #expect(replies.map { $0["status"]?.intValue } == [403, 400, 400, 400])
            #expect(replies[0].string("error") == "not a member of this workspace")
            #expect(replies.map { $0.string("ref") } == ["a", "b", "c", ""])
            #expect(try await alice.headSeq(workspace) == 2, "nothing refused was stored")
        }
    }

    @Test func aFloodOfUnreadAcksLosesNothing() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let token = try await server.token("alice")
            let socket = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=false", headers: ["Authorization": "Bearer \(token)"]
            )
            defer { Task { await socket.close() } }
            _ = try await socket.texts(1)
            let head = try await alice.headSeq(workspace)
            // More than 1,000 in flight: the server stops reading for a while, and takes the rest later.
            let count = 3000
            try await withTimeout(60, "send \(count) publishes") {
                for i in 0..<count { try await socket.send(text: self.frame("f\(i)", payload: #"{"i":\#(i)}"#)) }
            }
            let acks = try await socket.texts(count, timeout: 60)
            #expect(acks.allSatisfy { $0.hasPrefix(#"{"type":"ack""#) })
            #expect(try await alice.headSeq(workspace) == head + Int64(count))
        }
    }

    @Test func aPublishOnlySocketIsClosedWhenItsMemberIsRemoved() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let token = try await server.token("bob")
            let socket = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=false", headers: ["Authorization": "Bearer \(token)"]
            )
            defer { Task { await socket.close() } }
            _ = try await socket.texts(1)
            #expect(server.server.hub.socketCount(workspace: workspace) == 1)
            try await alice.expect(204, "DELETE", "/api/workspaces/\(workspace)/members/bob")
            #expect(try await socket.closeCode() == 4003)
            let owner = try await server.token("alice")
            do {
                let socket = try await TestSocket.connect(
                    port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=maybe", headers: ["Authorization": "Bearer \(owner)"]
                )
                await socket.close()
                Issue.record("subscribe=maybe was accepted")
            } catch let refused as TestSocket.Refused {
                #expect(refused.status == 400)
                #expect(refused.body.contains("subscribe must be true or false"))
            }
        }
    }
}
