import Foundation
import Testing

@testable import MulticaKit

/// A socket that resumes (`since`) while events still pour in: its live buffer is
/// bounded by `sendQueueLimit`, and overflowing it no longer evicts a reader that keeps
/// up. The buffered events are in the log already, so they are dropped and the replay
/// reads on from the log until it meets the live stream: no gap, no duplicate, no 4008.
/// A resumed socket that does not read is still evicted with 4008.
@Suite("Replay catch-up under a publish load", .serialized)
struct ReplayCatchUpTests {
    /// Publishes `count` events of about `padding` bytes in batches of `batch`.
    private static func publish(_ server: LiveServer, workspace: String, token: String, count: Int, batch: Int, padding: Int) async throws {
        let payload = #"{"pad":"\#(String(repeating: "x", count: padding))"}"#
        for start in stride(from: 0, to: count, by: batch) {
            let events = (start..<min(count, start + batch)).map { _ in
                #"{"type":"probe:load","workspace_id":"\#(workspace)","payload":\#(payload)}"#
            }
            let result = try await server.http("POST", "/api/events", token: token, body: "[\(events.joined(separator: ","))]")
            guard result.status == 201 else { throw TimedOut(what: "publish answered \(result.status) \(result.text)") }
        }
    }

    /// The seqs of the next `count` event frames; throws on a close or the end.
    private static func seqs(_ count: Int, from socket: TestSocket, timeout: Double = 30) async throws -> [Int64] {
        var seqs: [Int64] = []
        seqs.reserveCapacity(count)
        while seqs.count < count {
            switch try await socket.next(timeout: timeout) {
            case .text(let text): seqs.append(try Frame(text).seq)
            case let other: throw TimedOut(what: "wanted \(count) frames, got \(seqs.count) then \(other)")
            }
        }
        return seqs
    }

    /// 6,000 logged events to replay, then 4,000 more published while the socket
    /// resumes from the first: far more than the 256 live frames its buffer may hold
    /// during the replay. It gets exactly every event after `since`, in order, once.
    @Test func aConsumerResumingDuringAPublishLoadCatchesUpWithNoGapAndNoDuplicate() async throws {
        try await LiveServer.with(sockets: SocketSettings(sendQueueLimit: 256)) { server in
            let workspace = try await server.createWorkspace("Replay", owner: "alice")
            let token = try await server.token("alice")
            let since = try await server.server.eventLog.bounds(workspace: workspace).head
            try await Self.publish(server, workspace: workspace, token: token, count: 6_000, batch: 500, padding: 1024)
            let metrics = server.server.realtime.metrics
            let (dropsBefore, evictionsBefore) = (metrics.replayBufferDropCount, metrics.slowConsumerEvictionCount)

            let publisher = Task { try await Self.publish(server, workspace: workspace, token: token, count: 4_000, batch: 50, padding: 1024) }
            // Resume once the live stream is flowing.
            let flowing = since + 6_000 + 100
            while try await server.server.eventLog.bounds(workspace: workspace).head < flowing {
                try await Task.sleep(for: .milliseconds(5))
            }
            let (socket, hello) = try await server.joined("alice", workspace: workspace, since: since)
            #expect(hello["recovered"] == .bool(true))
            try await withTimeout(120, "publisher") { try await publisher.value }
            let head = try await server.server.eventLog.bounds(workspace: workspace).head
            #expect(head == since + 10_000)

            let received = try await Self.seqs(Int(head - since), from: socket)
            #expect(received == Array((since + 1)...head), "gap or duplicate in the catch-up")
            if case .text(let extra)? = try? await socket.next(timeout: 0.3) { Issue.record("frame after the head: \(extra.prefix(80))") }
            #expect(metrics.slowConsumerEvictionCount == evictionsBefore, "a reader that keeps up was evicted")
            // The path under test was taken: the live buffer overflowed at least once.
            #expect(metrics.replayBufferDropCount > dropsBefore, "the live buffer never overflowed: the test proved nothing")
            print("replay catch-up: \(head - since) events, live buffer dropped \(metrics.replayBufferDropCount - dropsBefore) times")
            await socket.close()
        }
    }

    /// A socket that resumes a 16 MB backlog with a 4 KiB receive buffer and stops
    /// reading is not kept on the log forever: once the kernel's buffers are full its
    /// replay waits on it, live events pile up behind, and past `sendQueueLimit` of
    /// them it is evicted with 4008, after a gapless prefix.
    @Test func aResumedConsumerThatDoesNotReadIsStillEvicted() async throws {
        try await LiveServer.with(sockets: SocketSettings(sendQueueLimit: 32, evictionGrace: .seconds(30))) { server in
            let workspace = try await server.createWorkspace("Stalled", owner: "alice")
            let token = try await server.token("alice")
            let since = try await server.server.eventLog.bounds(workspace: workspace).head
            try await Self.publish(server, workspace: workspace, token: token, count: 2_000, batch: 500, padding: 8 * 1024)
            let metrics = server.server.realtime.metrics
            let evictionsBefore = metrics.slowConsumerEvictionCount

            let (socket, _) = try await server.joined("alice", workspace: workspace, since: since, receiveBuffer: 4096)
            try await socket.stopReading()
            // Live events until it is evicted (bounded: at most 4,000).
            var published = 0
            while metrics.slowConsumerEvictionCount == evictionsBefore, published < 4_000 {
                try await Self.publish(server, workspace: workspace, token: token, count: 20, batch: 20, padding: 16)
                published += 20
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await eventually(10) { metrics.slowConsumerEvictionCount > evictionsBefore }, "a stalled replaying reader was not evicted")

            try await socket.resumeReading()
            var before: [Int64] = []
            var code: UInt16?
            reading: while true {
                switch try await socket.next(timeout: 20) {
                case .text(let text): before.append(try Frame(text).seq)
                case .close(let received): code = received; break reading
                case .ended: break reading
                }
            }
            #expect(code == 4008, "closed with \(code.map(String.init) ?? "no close frame")")
            #expect(before == Array(stride(from: since + 1, through: before.last ?? since, by: 1)), "gap or duplicate before the eviction")
            await socket.close()
        }
    }
}
