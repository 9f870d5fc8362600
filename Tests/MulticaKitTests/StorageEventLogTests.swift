import Foundation
import Synchronization
import Testing
@testable import MulticaKit

@Suite("Storage event log")
struct StorageEventLogTests {
    @Test func concurrentAppendsGiveDenseSeqsPerWorkspace() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            let workspaces = ["ws_a", "ws_b"]
            let failures = Mutex<[String]>([])
            let returned = Mutex<[String: [Int64]]>([:])
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for i in 0..<500 {
                    let workspace = workspaces[(i + worker) % 2]
                    do {
                        let envelopes = try log.append([testEvent(workspace, payload: #"{"w":\#(worker),"i":\#(i)}"#)])
                        returned.withLock { $0[workspace, default: []].append(contentsOf: envelopes.map(\.seq)) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            for workspace in workspaces {
                let stored = try await log.events(workspace: workspace, since: 0, limit: 10_000)
                #expect(stored.map(\.seq) == Array(1...2000))
                #expect(stored.allSatisfy { $0.workspaceID == workspace })
                #expect(returned.withLock { $0[workspace] ?? [] }.sorted() == Array(1...2000))
                #expect(try await log.bounds(workspace: workspace) == EventLogBounds(head: 2000, lowestRetained: 1))
            }
            #expect(try database.rowCount("event") == 4000)
        }
    }

    @Test func concurrentBatchAppendsOfMixedWorkspaces() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            let failures = Mutex<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for _ in 0..<10 {
                    // 100 events alternating between two workspaces in one batch.
                    let batch = (0..<100).map { testEvent($0 % 2 == 0 ? "ws_a" : "ws_b", payload: #"{"w":\#(worker)}"#) }
                    do {
                        let envelopes = try log.append(batch)
                        // Within a batch, each workspace's seqs are consecutive and in input order.
                        for workspace in ["ws_a", "ws_b"] {
                            let seqs = envelopes.filter { $0.workspaceID == workspace }.map(\.seq)
                            if seqs != Array(seqs[0]..<(seqs[0] + 50)) { failures.withLock { $0 += 1 } }
                        }
                        if envelopes.map(\.id) != batch.map(\.id) { failures.withLock { $0 += 1 } }
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            for workspace in ["ws_a", "ws_b"] {
                let seqs = try await log.events(workspace: workspace, since: 0, limit: 5000).map(\.seq)
                #expect(seqs == Array(1...2000))
            }
        }
    }

    @Test func failedBatchStoresNothing() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            let first = testEvent("ws_a")
            _ = try log.append([first])
            // The second event reuses an id (UNIQUE): the whole batch must roll back.
            var duplicate = testEvent("ws_a")
            duplicate.id = first.id
            #expect(throws: StorageError.self) { try log.append([testEvent("ws_a"), duplicate]) }
            #expect(try await log.bounds(workspace: "ws_a") == EventLogBounds(head: 1, lowestRetained: 1))
            #expect(try log.append([testEvent("ws_a")]).map(\.seq) == [2])
        }
    }

    @Test func eventsSinceLimitPagesInOrder() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            _ = try log.append((0..<25).map { _ in testEvent("ws_a") })
            _ = try log.append((0..<5).map { _ in testEvent("ws_b") })
            var seen: [Int64] = []
            var since: Int64 = 0
            var pages = 0
            while true {
                let page = try await log.events(workspace: "ws_a", since: since, limit: 10)
                if page.isEmpty { break }
                pages += 1
                #expect(page.count <= 10)
                seen += page.map(\.seq)
                since = page.last!.seq
            }
            #expect(pages == 3)
            #expect(seen == Array(1...25))
            #expect(try await log.events(workspace: "ws_a", since: 20, limit: 100).map(\.seq) == [21, 22, 23, 24, 25])
            #expect(try await log.events(workspace: "ws_a", since: 25, limit: 100).isEmpty)
            #expect(try await log.events(workspace: "ws_b", since: 0, limit: 100).map(\.seq) == [1, 2, 3, 4, 5])
            #expect(try await log.events(workspace: "ws_none", since: 0, limit: 100).isEmpty)
            #expect(try await log.bounds(workspace: "ws_none") == EventLogBounds(head: 0, lowestRetained: 1))
        }
    }

    @Test func payloadBytesAndFieldsRoundTripExactly() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            let payloads = [
                #"{"big":1234567890123456789,"f":1.50,"z":1,"a":2}"#,
                #"{"s":"é ✓ 😀 \u00e9 \"q\"","nested":{"x":[1, 2.0e10, null, true]}}"#,
            ]
            let when = Date(timeIntervalSince1970: 1_780_000_000.123_9)
            var daemon = testEvent("", type: "daemon:heartbeat", payload: "{}", at: when)
            daemon.actorType = .system
            daemon.synthetic = true
            let appended = try log.append(payloads.map { testEvent("ws_a", payload: $0, at: when) } + [daemon])
            let stored = try await log.events(workspace: "ws_a", since: 0, limit: 10)
            #expect(stored.map { String(decoding: $0.payload.bytes, as: UTF8.self) } == payloads)
            #expect(stored.map(\.payload.bytes) == payloads.map { Array($0.utf8) })
            #expect(stored == Array(appended.prefix(2)))
            #expect(stored.allSatisfy { Timestamp.format($0.timestamp) == "2026-05-28T20:26:40.123Z" })
            let frame = String(decoding: stored[0].frame(), as: UTF8.self)
            #expect(frame.hasSuffix(#""payload":{"big":1234567890123456789,"f":1.50,"z":1,"a":2}}"#))
            let daemonStored = try await log.events(workspace: "", since: 0, limit: 10)
            #expect(daemonStored.count == 1)
            #expect(daemonStored.first?.seq == 1)
            #expect(daemonStored.first?.synthetic == true)
            #expect(daemonStored.first?.actorType == .system)
            #expect(daemonStored.first?.type.rawValue == "daemon:heartbeat")
            #expect(daemonStored.first == appended.last)
        }
    }

    @Test func pruneByCountReportsLowestRetainedAndSeqsContinue() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            _ = try log.append((0..<10).map { _ in testEvent("ws_a") })
            _ = try log.append((0..<3).map { _ in testEvent("ws_b") })
            let report = try await log.prune(olderThan: nil, keepingAtMost: 4)
            #expect(report == PruneReport(removed: 6, lowestRetained: ["ws_a": 7]))
            #expect(try await log.bounds(workspace: "ws_a") == EventLogBounds(head: 10, lowestRetained: 7))
            #expect(try await log.events(workspace: "ws_a", since: 0, limit: 100).map(\.seq) == [7, 8, 9, 10])
            #expect(try await log.bounds(workspace: "ws_a").canResume(from: 6))
            #expect(try await !log.bounds(workspace: "ws_a").canResume(from: 5))

            let all = try await log.prune(olderThan: nil, keepingAtMost: 0)
            #expect(all == PruneReport(removed: 7, lowestRetained: ["ws_a": 11, "ws_b": 4]))
            #expect(try database.rowCount("event") == 0)
            #expect(try await log.bounds(workspace: "ws_a") == EventLogBounds(head: 10, lowestRetained: 11))
            #expect(try log.append([testEvent("ws_a")]).map(\.seq) == [11])
            #expect(try await log.bounds(workspace: "ws_a") == EventLogBounds(head: 11, lowestRetained: 11))
            #expect(try await log.prune(olderThan: nil, keepingAtMost: 5) == PruneReport(removed: 0, lowestRetained: [:]))
        }
    }

    @Test func pruneByAgeReportsLowestRetainedAndSeqsContinue() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            let now = Date()
            let old = now.addingTimeInterval(-10 * 86_400)
            _ = try log.append((0..<5).map { _ in testEvent("ws_a", at: old) } + [testEvent("ws_b", at: old)])
            _ = try log.append((0..<3).map { _ in testEvent("ws_a", at: now) })
            let report = try await log.prune(olderThan: now.addingTimeInterval(-7 * 86_400), keepingAtMost: nil)
            #expect(report == PruneReport(removed: 6, lowestRetained: ["ws_a": 6, "ws_b": 2]))
            #expect(try await log.events(workspace: "ws_a", since: 0, limit: 100).map(\.seq) == [6, 7, 8])
            #expect(try await log.bounds(workspace: "ws_b") == EventLogBounds(head: 1, lowestRetained: 2))
            #expect(try log.append([testEvent("ws_b")]).map(\.seq) == [2])

            // Everything older than the future: all gone, the next seq is still head + 1.
            let all = try await log.prune(olderThan: now.addingTimeInterval(60), keepingAtMost: nil)
            #expect(all.removed == 4)
            #expect(all.lowestRetained == ["ws_a": 9, "ws_b": 3])
            #expect(try log.append([testEvent("ws_a")]).map(\.seq) == [9])
        }
    }
}
