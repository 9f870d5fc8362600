import Foundation
import Synchronization
import Testing

@testable import MulticaKit

/// Live delivery through a real server: isolation between workspaces for every
/// catalog type, personal events, membership revocation, listener failures,
/// resume without gaps, slow consumers, shutdown and the socket's own protocol.
@Suite("Realtime delivery", .serialized)
struct RealtimeDeliveryTests {
    static func payload(for type: EventType, recipient: String) -> String {
        switch type {
        case .inboxNew: return #"{"item":{"id":"inb_1","recipient_id":"\#(recipient)","title":"t"}}"#
        case .inboxRead, .inboxArchived: return #"{"item_id":"inb_1","recipient_id":"\#(recipient)"}"#
        default: return #"{"probe":"\#(type.rawValue)"}"#
        }
    }

    /// Reads frames until none arrives for `quiet` seconds. With `through`, first waits
    /// (up to 15 s per frame) until an event with that seq or a later one has arrived,
    /// so a loaded machine's pause in delivery does not end the read early; the quiet
    /// window then catches anything extra.
    static func settle(_ socket: TestSocket, quiet: Double = 0.4, through last: Int64? = nil) async -> [String] {
        var texts: [String] = []
        var reached = last == nil
        while let received = try? await socket.next(timeout: reached ? quiet : 15) {
            guard case .text(let text) = received else { break }
            texts.append(text)
            if !reached, let last, let seq = try? Frame(text).seq, seq >= last { reached = true }
        }
        return texts
    }

    @Test func everyCatalogTypeStaysInItsWorkspace() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let b = try await server.createWorkspace("B", owner: "bob")
            _ = try await server.addMember("carol", to: a, by: "alice")
            let (alice, _) = try await server.joined("alice", workspace: a)
            let (carol, _) = try await server.joined("carol", workspace: a)
            let (bob, _) = try await server.joined("bob", workspace: b)
            _ = await Self.settle(bob)

            var expectedForAlice: [Int64] = []
            var expectedForCarol: [Int64] = []
            var expectedForBob: [Int64] = []
            for type in EventType.catalog where !type.isWorkspaceless {
                let seqA = try await server.emit(type.rawValue, in: a, by: "alice", payload: Self.payload(for: type, recipient: "alice"))
                expectedForAlice.append(seqA)
                if !type.isPersonal { expectedForCarol.append(seqA) }
                expectedForBob.append(
                    try await server.emit(type.rawValue, in: b, by: "bob", payload: Self.payload(for: type, recipient: "bob"))
                )
            }
            let aliceFrames = try (await Self.settle(alice, through: expectedForAlice.last)).map(Frame.init)
            let carolFrames = try (await Self.settle(carol, through: expectedForCarol.last)).map(Frame.init)
            let bobFrames = try (await Self.settle(bob, through: expectedForBob.last)).map(Frame.init)

            // Exactly the workspace's own events, each once, in seq order.
            #expect(aliceFrames.map(\.seq).filter { expectedForAlice.contains($0) } == expectedForAlice)
            #expect(aliceFrames.allSatisfy { $0.workspaceID == a })
            #expect(carolFrames.allSatisfy { $0.workspaceID == a })
            #expect(carolFrames.map(\.seq).filter { expectedForAlice.contains($0) } == expectedForCarol)
            #expect(!carolFrames.contains { $0.type.hasPrefix("inbox:") }, "carol received alice's inbox")
            #expect(bobFrames.allSatisfy { $0.workspaceID == b })
            #expect(Set(bobFrames.map(\.type)).isSuperset(of: EventType.catalog.filter { !$0.isWorkspaceless }.map(\.rawValue)))
            for socket in [alice, carol, bob] { await socket.close() }
        }
    }

    @Test func daemonEventsReachEveryWorkspaceAndNeedAnAdmin() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let b = try await server.createWorkspace("B", owner: "bob")
            let (alice, _) = try await server.joined("alice", workspace: a)
            let (bob, _) = try await server.joined("bob", workspace: b)
            let refused = try await server.http(
                "POST", "/api/events", token: try await server.token("alice"), body: #"{"type":"daemon:heartbeat","payload":{}}"#
            )
            #expect(refused.status == 403)
            for type in ["daemon:register", "daemon:heartbeat"] {
                let published = try await server.http(
                    "POST", "/api/events", token: try await server.token("root", admin: true), body: #"{"type":"\#(type)","payload":{"d":1}}"#
                )
                #expect(published.status == 201, "\(published.text)")
            }
            #expect(try await alice.texts(2).map { try Frame($0).type } == ["daemon:register", "daemon:heartbeat"])
            #expect(try await bob.texts(2).map { try Frame($0).type } == ["daemon:register", "daemon:heartbeat"])
            await alice.close()
            await bob.close()
        }
    }

    @Test func inboxEventsReachOnlyTheRecipientsSockets() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            _ = try await server.addMember("carol", to: a, by: "alice")
            let (aliceOne, _) = try await server.joined("alice", workspace: a)
            let (aliceTwo, _) = try await server.joined("alice", workspace: a)
            let (carol, _) = try await server.joined("carol", workspace: a)
            _ = await Self.settle(carol)
            let seq = try await server.emit("inbox:new", in: a, by: "carol", payload: Self.payload(for: .inboxNew, recipient: "alice"))
            let marker = try await server.emit("probe:after", in: a, by: "carol")
            for socket in [aliceOne, aliceTwo] {
                let seqs = try (await Self.settle(socket)).map { try Frame($0).seq }
                #expect(seqs.suffix(2) == [seq, marker])
            }
            let carolSeqs = try (await Self.settle(carol)).map { try Frame($0).seq }
            #expect(carolSeqs == [marker])
            // Replay applies the same rule.
            let (carolAgain, _) = try await server.joined("carol", workspace: a, since: 0)
            let replayed = try (await Self.settle(carolAgain)).map(Frame.init)
            #expect(!replayed.contains { $0.seq == seq })
            #expect(replayed.contains { $0.seq == marker })
            for socket in [aliceOne, aliceTwo, carol, carolAgain] { await socket.close() }
        }
    }

    @Test func removedMemberGetsTheEventThen4003AndNothingMore() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let carolMember = try await server.addMember("carol", to: a, by: "alice")
            let (carol, _) = try await server.joined("carol", workspace: a)
            let (alice, _) = try await server.joined("alice", workspace: a)
            let removed = try await server.http("DELETE", "/api/workspaces/\(a)/members/\(carolMember)", token: try await server.token("alice"))
            #expect(removed.status == 204)
            var sawRemoval = false
            var code: UInt16?
            loop: while true {
                switch try await carol.next() {
                case .text(let text): if try Frame(text).type == "member:removed" { sawRemoval = true }
                case .close(let closeCode): code = closeCode; break loop
                case .ended: break loop
                }
            }
            #expect(sawRemoval)
            #expect(code == 4003)
            _ = try await server.emit("probe:after", in: a, by: "alice")
            #expect(carol.drain().allSatisfy { if case .text = $0 { return false } else { return true } })
            #expect(try await alice.texts(2).map { try Frame($0).type } == ["member:removed", "probe:after"])
            // And carol cannot come back.
            await #expect(throws: TestSocket.Refused.self) { try await server.socket("carol", workspace: a) }
            await alice.close()
        }
    }

    @Test func aThrowingListenerDoesNotStopDelivery() async throws {
        struct Boom: Error {}
        try await LiveServer.with { server in
            let seen = Mutex(0)
            server.server.bus.subscribeAll(label: "broken") { _ in throw Boom() }
            server.server.bus.subscribeAll(label: "counter") { _ in seen.withLock { $0 += 1 } }
            let a = try await server.createWorkspace("A", owner: "alice")
            let (alice, _) = try await server.joined("alice", workspace: a)
            for index in 0..<5 { _ = try await server.emit("probe:n", in: a, by: "alice", payload: #"{"i":\#(index)}"#) }
            #expect(try await alice.texts(5).count == 5)
            #expect(seen.withLock { $0 } >= 5)
            await alice.close()
        }
    }

    @Test func helloCarriesHeadAndResumeReplaysExactlyTheMissedEvents() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")  // seq 1 workspace:updated, 2 member:added
            for index in 0..<10 { _ = try await server.emit("probe:n", in: a, by: "alice", payload: #"{"i":\#(index)}"#) }
            let (live, hello) = try await server.joined("alice", workspace: a)
            #expect(hello["head_seq"] == .int(12))
            #expect(hello["recovered"] == .bool(true))
            #expect(hello["workspace_id"]?.stringValue == a)
            #expect(await Self.settle(live).isEmpty, "without since, nothing is replayed")
            let (resumed, _) = try await server.joined("alice", workspace: a, since: 7)
            #expect(try await resumed.texts(5).map { try Frame($0).seq } == [8, 9, 10, 11, 12])
            _ = try await server.emit("probe:n", in: a, by: "alice")
            #expect(try await resumed.texts(1).map { try Frame($0).seq } == [13])
            #expect(try await live.texts(1).map { try Frame($0).seq } == [13])
            await live.close()
            await resumed.close()
        }
    }

    @Test func resumeDuringConcurrentPublishingLosesAndRepeatsNothing() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let token = try await server.token("alice")
            for round in 0..<12 {
                let total = 120
                let publisher = Task {
                    for start in stride(from: 0, to: total, by: 10) {
                        let batch = (start..<(start + 10)).map { #"{"type":"probe:n","workspace_id":"\#(a)","payload":{"i":\#($0)}}"# }
                        _ = try await server.http("POST", "/api/events", token: token, body: "[" + batch.joined(separator: ",") + "]")
                    }
                }
                // Join mid-stream, resuming from a seq that is already past.
                try await Task.sleep(for: .milliseconds(5 * (round % 4)))
                let head = try await server.server.eventLog.bounds(workspace: a).head
                let since = max(0, head - Int64(round % 3) * 7)
                let (socket, _) = try await server.joined("alice", workspace: a, since: since)
                try await publisher.value
                let finalHead = try await server.server.eventLog.bounds(workspace: a).head
                let seqs = try await socket.texts(Int(finalHead - since), timeout: 10).map { try Frame($0).seq }
                #expect(seqs == Array((since + 1)...finalHead), "round \(round): since \(since)")
                #expect(await Self.settle(socket, quiet: 0.2).isEmpty, "round \(round): duplicates after head")
                await socket.close()
            }
        }
    }

    @Test func slowConsumerIsEvictedWhileAFastOneGetsEverything() async throws {
        try await LiveServer.with(sockets: SocketSettings(sendQueueLimit: 8)) { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let (fast, _) = try await server.joined("alice", workspace: a)
            let (slow, _) = try await server.joined("alice", workspace: a)
            try await slow.stopReading()
            let token = try await server.token("alice")
            let filler = String(repeating: "x", count: 60_000)
            let batches = 8
            let perBatch = 40
            for _ in 0..<batches {
                let batch = (0..<perBatch).map { _ in #"{"type":"probe:big","workspace_id":"\#(a)","payload":{"f":"\#(filler)"}}"# }
                let result = try await server.http("POST", "/api/events", token: token, body: "[" + batch.joined(separator: ",") + "]")
                #expect(result.status == 201)
            }
            let received = try await fast.texts(batches * perBatch, timeout: 30).map { try Frame($0).seq }
            #expect(received == Array(3...Int64(2 + batches * perBatch)))
            try await slow.resumeReading()
            #expect(try await slow.closeCode(timeout: 15) == 4008)
            await fast.close()
        }
    }

    @Test func shutdownClosesEverySocketWith1001() async throws {
        let server = try await LiveServer.start()
        let a = try await server.createWorkspace("A", owner: "alice")
        let (one, _) = try await server.joined("alice", workspace: a)
        let (two, _) = try await server.joined("alice", workspace: a)
        await server.stop()
        #expect(try await one.closeCode() == 1001)
        #expect(try await two.closeCode() == 1001)
    }

    @Test func pingIsAnsweredAndAnOversizedFrameCloses1009() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let (socket, _) = try await server.joined("alice", workspace: a)
            try await socket.send(text: #"{"type":"ping"}"#)
            #expect(try await socket.texts(1) == [#"{"type":"pong"}"#])
            try await socket.send(text: #"{"type":"something-else"}"#)
            try await socket.send(text: String(repeating: "y", count: 64 * 1024 + 1))
            #expect(try await socket.closeCode() == 1009)
        }
    }

    @Test func serverPingsKeepLivePeersAndDropSilentOnes() async throws {
        // The answering peer has a whole interval to answer: 1 s, so a loaded machine
        // running every suite at once does not make it miss one (150 ms once could).
        try await LiveServer.with(sockets: SocketSettings(pingInterval: .seconds(1))) { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let (answering, _) = try await server.joined("alice", workspace: a)
            let (silent, _) = try await server.joined("alice", workspace: a)
            try await silent.stopReading()  // reads nothing, so answers no ping
            #expect(await eventually(15) { server.server.hub.socketCount(workspace: a) < 2 }, "the silent peer was kept")
            // Past a few more intervals the answering peer is still there.
            try await Task.sleep(for: .seconds(3))
            #expect(server.server.hub.socketCount(workspace: a) == 1, "the silent peer is dropped, the answering one kept")
            _ = try await server.emit("probe:n", in: a, by: "alice")
            #expect(try await answering.texts(1).map { try Frame($0).type } == ["probe:n"])
            try? await silent.resumeReading()  // the channel may already know it was closed
            #expect(try await silent.closeCode() == nil, "a dead peer is dropped without a close handshake")
            await answering.close()
        }
    }

    @Test func expiredTokenClosesTheSocketWith4001() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let socket = try await server.socket("alice", workspace: a, ttl: 2)
            #expect(try await socket.closeCode(timeout: 10) == 4001)
        }
    }

    @Test func resumePastRetentionSaysNotRecovered() async throws {
        try await LiveServer.with(configure: { $0.retainCount = 5; $0.retentionInterval = .milliseconds(50) }) { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            for index in 0..<20 { _ = try await server.emit("probe:n", in: a, by: "alice", payload: #"{"i":\#(index)}"#) }
            // Waits for the first prune after the writes (every 50 ms, later on a loaded
            // machine): the log then starts past seq 0.
            let alice = try await server.client("alice")
            var oldest: Int64?
            for _ in 0..<300 {
                oldest = try await alice.events(a, since: 0).first?.seq
                if oldest == 18 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(oldest == 18, "retention did not prune to the last 5 within 15 s")
            let (socket, hello) = try await server.joined("alice", workspace: a, since: 0)
            #expect(hello["recovered"] == .bool(false))
            #expect(hello["head_seq"] == .int(22))
            #expect(try await socket.texts(5).map { try Frame($0).seq } == [18, 19, 20, 21, 22])
            let (inRange, inRangeHello) = try await server.joined("alice", workspace: a, since: 19)
            #expect(inRangeHello["recovered"] == .bool(true))
            #expect(try await inRange.texts(3).map { try Frame($0).seq } == [20, 21, 22])
            await socket.close()
            await inRange.close()
        }
    }

    @Test func aFailedCommitDeliversNothingAndAnswers500() async throws {
        try await LiveServer.with { server in
            let a = try await server.createWorkspace("A", owner: "alice")
            let (socket, _) = try await server.joined("alice", workspace: a)
            let saboteur = try SQLiteDatabase(path: server.databasePath)
            try saboteur.execute(sql: "CREATE TRIGGER refuse_events BEFORE INSERT ON event BEGIN SELECT RAISE(FAIL, 'disk on fire'); END;")
            let result = try await server.http(
                "POST", "/api/events", token: try await server.token("alice"),
                body: #"{"type":"probe:n","workspace_id":"\#(a)","payload":{}}"#
            )
            #expect(result.status == 500)
            #expect(result.text == #"{"error":"internal error"}"#)
            #expect(await Self.settle(socket).isEmpty)
            try saboteur.execute(sql: "DROP TRIGGER refuse_events")
            let seq = try await server.emit("probe:n", in: a, by: "alice")
            #expect(seq == 3, "the failed event took no seq")
            #expect(try await socket.texts(1).map { try Frame($0).seq } == [3])
            await socket.close()
        }
    }
}
