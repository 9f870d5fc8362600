import Foundation
import Synchronization
import MulticaTestSupport
import Testing
@testable import MulticaKit

/// What one node's feed delivered, in delivery order.
final class DeliveryRecorder: Sendable {
    private let delivered = Mutex<[EventEnvelope]>([])

    func record(_ envelopes: [EventEnvelope]) { delivered.withLock { $0.append(contentsOf: envelopes) } }
    var all: [EventEnvelope] { delivered.withLock { $0 } }
    func seqs(_ workspace: String) -> [Int64] { all.filter { $0.workspaceID == workspace }.map(\.seq) }

    /// Waits until `workspace` has `count` deliveries (bounded).
    func wait(for count: Int, in workspace: String, seconds: Double = 20) async throws {
        try await withTimeout(seconds, "\(count) deliveries in \(workspace)") {
            while self.seqs(workspace).count < count { try await Task.sleep(for: .milliseconds(20)) }
        }
    }
}

/// One node's feed on `store`, with a socket in every workspace of `interested`.
func startFeed(
    on store: PostgresStore, name: String, interested: Set<String>, interval: Duration = .seconds(1)
) -> (ClusterFeed, DeliveryRecorder, Task<Void, Never>) {
    let recorder = DeliveryRecorder()
    let feed = ClusterFeed(
        log: PostgresEventLog(store: store), signals: PostgresSignals(store: store, applicationName: "multica-listen-\(name)"),
        hasSockets: { interested.contains($0) }, workspacesWithSockets: { Array(interested) },
        deliver: { recorder.record($0) }, interval: interval
    )
    let task = Task { await feed.run() }
    return (feed, recorder, task)
}

/// Waits until the node's LISTEN connection is up (visible in pg_stat_activity) and
/// its feed knows the heads.
func waitForListener(_ cluster: PostgresCluster, name: String, database: String, feed: ClusterFeed? = nil) async throws {
    try await withTimeout(20, "LISTEN connection of \(name)") {
        while let feed, !feed.isStarted { try await Task.sleep(for: .milliseconds(20)) }
        while try await cluster.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'multica-listen-\(name)' AND datname = '\(database)'",
            database: "postgres") != "1" {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

@Suite("PostgreSQL cross-node feed", .enabled(if: PostgresCluster.enabled), .serialized)
struct PostgresFeedTests {
    @Test func eventsWrittenOnEitherNodeArriveInOrderWithNoGapOrDuplicate() async throws {
        try await withPostgresStore { nodeA, cluster in
            let nodeB = try await PostgresStore.open(nodeA.location)
            defer { nodeB.close() }
            // A long catch-up interval: delivery here is driven by the notifications.
            let (feedA, recorder, task) = startFeed(on: nodeA, name: "a1", interested: ["ws_x", ""], interval: .seconds(60))
            defer { task.cancel() }
            try await waitForListener(cluster, name: "a1", database: nodeA.location.database, feed: feedA)
            let logA = PostgresEventLog(store: nodeA), logB = PostgresEventLog(store: nodeB)
            // Node A's own commits are handed to its feed directly, interleaved with B's.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await onThread {
                        for i in 0..<150 { feedA.committed(try logA.append([testEvent("ws_x", payload: #"{"a":\#(i)}"#)])) }
                    }
                }
                group.addTask {
                    try await onThread {
                        for i in 0..<150 {
                            _ = try logB.append([testEvent("ws_x", payload: #"{"b":\#(i)}"#), testEvent("ws_other")])
                        }
                        _ = try logB.append([testEvent("", type: "daemon:heartbeat")])
                    }
                }
                try await group.waitForAll()
            }
            try await recorder.wait(for: 300, in: "ws_x")
            try await recorder.wait(for: 1, in: "")
            try await Task.sleep(for: .milliseconds(200))
            #expect(recorder.seqs("ws_x") == Array(1...300))
            let stored = try await logB.events(workspace: "ws_x", since: 0, limit: 1000)
            #expect(recorder.all.filter { $0.workspaceID == "ws_x" } == stored, "delivered envelopes equal the log's")
            // No socket here is in ws_other: nothing of it is read or delivered.
            #expect(recorder.seqs("ws_other").isEmpty)
        }
    }

    @Test func aTerminatedListenConnectionReconnectsAndCatchesUp() async throws {
        try await withPostgresStore { nodeA, cluster in
            let nodeB = try await PostgresStore.open(nodeA.location)
            defer { nodeB.close() }
            let (feed, recorder, task) = startFeed(on: nodeA, name: "a2", interested: ["ws_y"], interval: .seconds(60))
            defer { task.cancel() }
            let database = nodeA.location.database
            try await waitForListener(cluster, name: "a2", database: database, feed: feed)
            let logB = PostgresEventLog(store: nodeB)
            let writer = Task {
                try await onThread {
                    for i in 0..<400 {
                        _ = try logB.append([testEvent("ws_y", payload: #"{"i":\#(i)}"#)])
                        if i % 50 == 0 { Thread.sleep(forTimeInterval: 0.02) }
                    }
                }
            }
            // Kill node A's LISTEN session twice while B writes.
            for _ in 0..<2 {
                try await Task.sleep(for: .milliseconds(150))
                #expect(try await cluster.psql("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = 'multica-listen-a2' AND datname = '\(database)'
                    """, database: "postgres") == "1")
                try await waitForListener(cluster, name: "a2", database: database)
            }
            try await writer.value
            // Even with a 60 s catch-up interval, the reconnection's catch-up and the
            // notifications after it deliver everything.
            try await recorder.wait(for: 400, in: "ws_y")
            #expect(recorder.seqs("ws_y") == Array(1...400))
        }
    }

    @Test func thePeriodicCatchUpCoversLostNotifications() async throws {
        try await withPostgresStore { nodeA, cluster in
            let (feed, recorder, task) = startFeed(on: nodeA, name: "a3", interested: ["ws_z"], interval: .milliseconds(300))
            defer { task.cancel() }
            try await waitForListener(cluster, name: "a3", database: nodeA.location.database, feed: feed)
            // Rows committed without any NOTIFY (as if every notification were lost).
            let values = (1...25).map { "('ws_z', \($0), 'evt_q\($0)', 'issue:updated', 'member', 'u', 1, false, '{\"n\":\($0)}')" }
            try await cluster.psql("""
                INSERT INTO event (workspace_id, seq, id, type, actor_type, actor_id, ts, synthetic, payload)
                VALUES \(values.joined(separator: ","));
                INSERT INTO event_cursor (workspace_id, head_seq) VALUES ('ws_z', 25)
                """, database: nodeA.location.database)
            try await recorder.wait(for: 25, in: "ws_z")
            #expect(recorder.seqs("ws_z") == Array(1...25))
        }
    }

    @Test func notificationPayloadsParseAtTheLastColon() {
        func parsed(_ payload: String) -> String? { PostgresSignals.parse(payload).map { "\($0.0)|\($0.1)" } }
        #expect(parsed("ws_1:42") == "ws_1|42")
        #expect(parsed(":7") == "|7")
        #expect(parsed("a:b:9") == "a:b|9")
        #expect(parsed("nope") == nil)
        #expect(parsed("ws:") == nil)
    }
}
