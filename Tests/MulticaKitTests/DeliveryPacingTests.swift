import Foundation
import Synchronization
import Testing
@testable import MulticaKit

/// Pacing (issue 10, "backpressure instead of unbounded delivery queues"): while most
/// subscribed sockets of a workspace have not read what was sent to them, its
/// publishers' answers and acks wait, so a flood slows down instead of queueing
/// seconds of events in socket buffers. Nothing accepted is lost, one slow socket
/// does not hold a workspace back, and a peer that stopped reading holds it at most
/// `stuckAfter`.
/// Serialized: each test floods its own server, and run side by side they starved one
/// another's readers on a 2-core machine running the whole suite.
@Suite("Delivery pacing", .serialized)
struct DeliveryPacingTests {
    /// Probes after every 1 KiB; behind after `lagLimit` unanswered (1 s: long enough
    /// that a reader that does read answers in time on a loaded machine running tests in
    /// parallel).
    static func settings(stuckAfter: Duration = .seconds(120), lagLimit: Duration = .seconds(1)) -> SocketSettings {
        var settings = SocketSettings()
        settings.probeInterval = 1024
        settings.lagLimit = lagLimit
        settings.stuckAfter = stuckAfter
        return settings
    }

    /// 1.5 KB: more than one probe interval per event, and little enough that a reader
    /// with a 4 KiB receive buffer reads what was held back in seconds on a loaded machine.
    static func event(in workspace: String, _ index: Int) -> String {
        let filler = String(repeating: "p", count: 1_500)
        return #"{"type":"probe:paced","workspace_id":"\#(workspace)","payload":{"i":\#(index),"f":"\#(filler)"}}"#
    }

    final class Answered: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// Publishes one event per request, one after the other and `pause` apart, counting
    /// answers.
    static func publishing(
        _ server: LiveServer, workspace: String, token: String, count: Int, answered: Answered, pause: Duration
    ) -> Task<[Int], any Error> {
        Task {
            var statuses: [Int] = []
            for index in 0..<count {
                let result = try await withTimeout(30, "POST \(index)") {
                    try await server.http("POST", "/api/events", token: token, body: Self.event(in: workspace, index))
                }
                statuses.append(result.status)
                answered.add()
                try await Task.sleep(for: pause)
            }
            return statuses
        }
    }

    @Test func answersWaitWhileTheOnlySubscriberIsBehindAndLoseNothing() async throws {
        try await LiveServer.with(sockets: Self.settings()) { server in
            let metrics = server.server.realtime.metrics
            let workspace = try await server.createWorkspace("Paced", owner: "alice")
            let token = try await server.token("alice")
            let (reader, _) = try await server.joined("alice", workspace: workspace, receiveBuffer: 4096)
            try await reader.stopReading()

            // Spaced publishes, at most 125/s: the reader is behind 1 s after its first
            // probe whatever the rate, so well under 400 are answered before the hold.
            // Few, because the whole suite running beside this test on 2 cores made each
            // POST take about 90 ms: 2,000 of them overran the old 60 s bound.
            let count = 400
            let answered = Answered()
            let publisher = Self.publishing(
                server, workspace: workspace, token: token, count: count, answered: answered, pause: .milliseconds(8)
            )
            // The reader's probe goes unanswered: the socket is behind, and so is the room.
            #expect(await eventually(20) { metrics.socketsBehindCount == 1 && metrics.pacedPublishCount > 0 })
            let heldAt = answered.value
            try await Task.sleep(for: .milliseconds(500))
            #expect(answered.value == heldAt, "an answer went out while the only subscriber was behind")
            #expect(heldAt < count, "nothing was held back")
            // Only the answer waits: the held request's event is already in the log,
            // after the workspace's two (workspace:updated, member:added).
            let log = try await server.http("GET", "/api/events?workspace_id=\(workspace)&limit=1", token: token).json()
            #expect(log["head_seq"]?.intValue == Int64(2 + heldAt + 1), "the held request's event was not committed")

            try await reader.resumeReading()
            let statuses = try await withTimeout(120, "publishing") { try await publisher.value }
            #expect(statuses == Array(repeating: 201, count: count))
            let received = try await reader.texts(count, timeout: 30).map { try Frame($0).seq }
            let first = try #require(received.first)
            #expect(received == Array(first..<(first + Int64(count))), "a gap or a duplicate")
            #expect(await eventually(10) { metrics.socketsBehindCount == 0 })
            await reader.close()
        }
    }

    /// A request whose events pass `RoomPressure.undrainedLimit` at once waits for its
    /// answer until a drain has written them, then gets it: the count of unwritten
    /// events comes back down with every drain, in a room that keeps up.
    @Test func aBurstPastTheUndrainedLimitIsAnsweredOnceWritten() async throws {
        try await LiveServer.with(sockets: Self.settings()) { server in
            let workspace = try await server.createWorkspace("Burst", owner: "alice")
            let token = try await server.token("alice")
            let (reader, _) = try await server.joined("alice", workspace: workspace)
            let burst = RoomPressure.undrainedLimit * 2
            for round in 0..<3 {
                let batch = (0..<burst).map { Self.event(in: workspace, round * burst + $0) }
                let result = try await withTimeout(30, "burst \(round)") {
                    try await server.http("POST", "/api/events", token: token, body: "[" + batch.joined(separator: ",") + "]")
                }
                #expect(result.status == 201)
                let received = try await reader.texts(burst, timeout: 30).map { try Frame($0).seq }
                #expect(received.count == burst)
            }
            let single = try await withTimeout(30, "single") {
                try await server.http("POST", "/api/events", token: token, body: Self.event(in: workspace, 0))
            }
            #expect(single.status == 201)
            #expect(server.server.realtime.hub.hasRoom(in: workspace))
            await reader.close()
        }
    }

    /// Publishes one event per request until `done` holds, then `more` events; returns
    /// how many were published. Every answer must be 201. `pause` spaces the requests.
    static func publish(
        _ server: LiveServer, workspace: String, token: String, until done: () -> Bool, more: Int,
        pause: Duration? = nil
    ) async throws -> Int {
        var published = 0
        var after = 0
        while after < more {
            if done() { after += 1 }
            let body = Self.event(in: workspace, published)
            let result = try await withTimeout(30, "POST \(published)") {
                try await server.http("POST", "/api/events", token: token, body: body)
            }
            #expect(result.status == 201)
            published += 1
            guard published < 20_000 else { break }
            if let pause { try await Task.sleep(for: pause) }
        }
        return published
    }

    /// The reader that reads must never count as behind here, or two of two are behind
    /// and pacing is right. A fresh-clone CI run, with every suite and PostgreSQL
    /// cluster starting at once, once stalled the test process's event loops past 1 s
    /// and paced 3 publishes; the lag limit is 4 s for this test. Publishes are spaced
    /// 5 ms apart: at full speed for those 4 s, the slow socket's queue would pass its
    /// limit (an eviction ends the premise) and the flood slowed the suites beside it.
    @Test func oneSlowSocketOfTwoHoldsNoPublisherBack() async throws {
        try await LiveServer.with(sockets: Self.settings(lagLimit: .seconds(4))) { server in
            let metrics = server.server.realtime.metrics
            let workspace = try await server.createWorkspace("Mixed", owner: "alice")
            let token = try await server.token("alice")
            let (fast, _) = try await server.joined("alice", workspace: workspace)
            let (slow, _) = try await server.joined("alice", workspace: workspace, receiveBuffer: 4096)
            try await slow.stopReading()

            // Each POST is bounded by a timeout: one held back behind the slow socket fails.
            let count = try await Self.publish(
                server, workspace: workspace, token: token, until: { metrics.socketsBehindCount == 1 }, more: 100,
                pause: .milliseconds(5)
            )
            #expect(metrics.socketsBehindCount == 1, "the stalled reader should count as behind")
            #expect(metrics.pacedPublishCount == 0, "a minority behind paced the workspace")
            #expect(try await fast.texts(count, timeout: 30).count == count)
            await fast.close()
            await slow.close()
        }
    }

    /// A probe's answer time includes the network's round trip, which is not lag: a peer
    /// that reads at once but answers 1.5 s later (its round trip) must not count as
    /// behind under a 1 s lag limit once its round-trip floor is known, which its first
    /// probe, sent as it joins, measures.
    @Test func aDistantReaderThatKeepsUpIsNotBehind() async throws {
        try await LiveServer.with(sockets: Self.settings()) { server in
            let metrics = server.server.realtime.metrics
            let workspace = try await server.createWorkspace("Far", owner: "alice")
            let token = try await server.token("alice")
            let (reader, _) = try await server.joined("alice", workspace: workspace, pongDelay: .milliseconds(1_500))
            #expect(await eventually(10) { reader.pings.value >= 1 }, "no probe as the socket joined")
            // Its answer, 1.5 s later, is the floor's first sample.
            #expect(await eventually(10) { metrics.socketsBehindCount == 0 })
            try await Task.sleep(for: .milliseconds(2_000))
            let pingsBefore = reader.pings.value
            let pacedBefore = metrics.pacedPublishCount
            var mostBehind = 0
            for index in 0..<40 {
                let result = try await withTimeout(30, "POST \(index)") {
                    try await server.http("POST", "/api/events", token: token, body: Self.event(in: workspace, index))
                }
                #expect(result.status == 201)
                mostBehind = max(mostBehind, metrics.socketsBehindCount)
                try await Task.sleep(for: .milliseconds(75))
            }
            #expect(reader.pings.value >= pingsBefore + 2, "too few probes to tell")
            #expect(mostBehind == 0, "the distant reader counted as behind")
            #expect(metrics.pacedPublishCount == pacedBefore, "publishers waited for a reader that keeps up")
            #expect(try await reader.texts(40, timeout: 30).count == 40)
            await reader.close()
        }
    }

    @Test func aReaderThatNeverReadsHoldsPublishersOnlyUntilStuckAfter() async throws {
        try await LiveServer.with(sockets: Self.settings(stuckAfter: .seconds(3))) { server in
            let metrics = server.server.realtime.metrics
            let workspace = try await server.createWorkspace("Stuck", owner: "alice")
            let token = try await server.token("alice")
            let (reader, _) = try await server.joined("alice", workspace: workspace, receiveBuffer: 4096)
            try await reader.stopReading()

            // Held once the reader is behind, then let go when it is stuck: no POST
            // waits past its timeout although the reader never reads.
            _ = try await Self.publish(server, workspace: workspace, token: token, until: { metrics.pacedPublishCount > 0 }, more: 50)
            #expect(metrics.pacedPublishCount > 0)
            #expect(metrics.socketsBehindCount == 0, "a stuck reader still counts")
            await reader.close()
        }
    }

    @Test func socketPublishesWaitUnackedWhileTheRoomIsBehindThenAckInOrder() async throws {
        try await LiveServer.with(sockets: Self.settings()) { server in
            let metrics = server.server.realtime.metrics
            let workspace = try await server.createWorkspace("WS", owner: "alice")
            let token = try await server.token("alice")
            let (reader, _) = try await server.joined("alice", workspace: workspace, receiveBuffer: 4096)
            try await reader.stopReading()
            let publisher = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)&subscribe=false", headers: ["Authorization": "Bearer \(token)"]
            )
            _ = try await publisher.texts(1)  // hello
            // Spaced frames until one is held: the reader is behind only once its probe has
            // been out past the lag limit (1 s), and a fast machine commits a fixed burst
            // before that. 900 stays under the 1,000-unacked limit.
            let filler = String(repeating: "w", count: 4_000)
            var count = 0
            while count < 900, metrics.pacedPublishCount == 0 {
                try await publisher.send(text: #"{"type":"publish","ref":"r\#(count)","event":{"type":"probe:ws","payload":{"f":"\#(filler)"}}}"#)
                count += 1
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(metrics.pacedPublishCount > 0, "no publish frame was held while the reader was behind")
            try await reader.resumeReading()
            let acks = try await publisher.texts(count, timeout: 60).map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            #expect(acks.map { $0.string("ref") } == (0..<count).map { "r\($0)" }, "acks out of order")
            let seqs = acks.compactMap { $0["seq"]?.intValue }
            #expect(seqs.count == count && seqs == Array(seqs[0]..<(seqs[0] + Int64(count))), "seqs not consecutive in publish order")
            #expect(try await reader.texts(count, timeout: 30).count == count)
            await reader.close()
            await publisher.close()
        }
    }
}

