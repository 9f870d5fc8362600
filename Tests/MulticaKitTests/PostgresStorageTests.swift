import Foundation
import Synchronization
import MulticaTestSupport
import Testing
@testable import MulticaKit

/// A fresh database of the shared test cluster, migrated, for one test.
func withPostgresStore<T>(_ body: (PostgresStore, PostgresCluster) async throws -> T) async throws -> T {
    let cluster = try await PostgresCluster.shared()
    let location = try await cluster.makeDatabase()
    let store = try await PostgresStore.open(location)
    defer { store.close() }
    return try await body(store, cluster)
}


@Suite("PostgreSQL storage", .enabled(if: PostgresCluster.enabled), .serialized)
struct PostgresStorageTests {
    @Test func migrationsCreateTheSchemaWithItsConstraints() async throws {
        try await withPostgresStore { store, cluster in
            let db = store.location.database
            let tables = try await cluster.psql(
                "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'",
                database: db)
            #expect(Set(tables.split(separator: ",").map(String.init)) == StorageSchema.tables.union(["multica_migrations"]))
            #expect(try await cluster.psql("SELECT string_agg(name, ',' ORDER BY name) FROM multica_migrations", database: db)
                == PostgresSchema.migrations.map(\.name).sorted().joined(separator: ","))
            try await cluster.psql("""
                INSERT INTO "user" (id, created_at) VALUES ('u1', 'now');
                INSERT INTO workspace (id, name, slug, created_at, updated_at) VALUES ('w1', 'W', 'w', 'now', 'now')
                """, database: db)
            #expect(try await cluster.psql("SELECT version FROM workspace WHERE id = 'w1'", database: db) == "1")
            // CHECK enums, JSON checks, unique keys and foreign keys are enforced.
            let refused = [
                "INSERT INTO member (id, workspace_id, user_id, role, created_at) VALUES ('m1', 'w1', 'u1', 'boss', 'now')",
                "INSERT INTO workspace (id, name, slug, created_at, updated_at) VALUES ('w2', 'W', 'w', 'now', 'now')",
                "INSERT INTO workspace (id, name, slug, settings, created_at, updated_at) VALUES ('w3', 'W', 'w3', '{', 'now', 'now')",
                "INSERT INTO member (id, workspace_id, user_id, role, created_at) VALUES ('m2', 'nope', 'u1', 'member', 'now')",
                "INSERT INTO event (workspace_id, seq, id, type, actor_type, actor_id, ts, payload) VALUES ('w1', 0, 'e', 't', 'member', 'a', 1, '{}')",
            ]
            for sql in refused {
                await #expect(throws: PostgresCluster.ClusterError.self, "\(sql)") { try await cluster.psql(sql, database: db) }
            }
            // Deleting a workspace cascades to its members.
            try await cluster.psql("""
                INSERT INTO member (id, workspace_id, user_id, role, created_at) VALUES ('m3', 'w1', 'u1', 'owner', 'now');
                DELETE FROM workspace WHERE id = 'w1'
                """, database: db)
            #expect(try await cluster.psql("SELECT count(*) FROM member", database: db) == "0")
        }
    }

    @Test func twoNodesStartingTogetherMigrateOnce() async throws {
        let cluster = try await PostgresCluster.shared()
        let location = try await cluster.makeDatabase()
        let stores = (0..<4).map { _ in PostgresStore(location: location, logger: .init(label: "test")) }
        defer { stores.forEach { $0.close() } }
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for store in stores { group.addTask { try await PostgresMigrator(store: store).migrate() } }
            var all: [[String]] = []
            for try await names in group { all.append(names) }
            return all
        }
        // Exactly one opener applied every migration; the others found them recorded.
        #expect(applied.filter { !$0.isEmpty } == [PostgresSchema.migrations.map(\.name)])
        #expect(try await cluster.psql("SELECT count(*) FROM multica_migrations", database: location.database)
            == "\(PostgresSchema.migrations.count)")
        // Opening again is a no-op.
        #expect(try await PostgresMigrator(store: stores[0]).migrate().isEmpty)
    }

    @Test func concurrentWritersOnTwoNodesGetSeqExactlyOneToN() async throws {
        try await withPostgresStore { nodeA, _ in
            let nodeB = try await PostgresStore.open(nodeA.location)
            defer { nodeB.close() }
            let logs = [PostgresEventLog(store: nodeA), PostgresEventLog(store: nodeB)]
            let perWriter = 60
            // 8 writer threads per node, every one appending to the same workspace.
            let returned = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<16 {
                    let log = logs[writer % 2]
                    group.addTask {
                        try await onThread {
                            var seqs: [Int64] = []
                            for i in 0..<perWriter {
                                let events = [testEvent("ws_shared", payload: #"{"w":\#(writer),"i":\#(i)}"#)]
                                seqs += try log.append(events).map(\.seq)
                            }
                            return seqs
                        }
                    }
                }
                var all: [Int64] = []
                for try await seqs in group { all += seqs }
                return all
            }
            let total = Int64(16 * perWriter)
            #expect(returned.sorted() == Array(1...total))
            let stored = try await logs[1].events(workspace: "ws_shared", since: 0, limit: 10_000)
            #expect(stored.map(\.seq) == Array(1...total))
            #expect(try await logs[0].bounds(workspace: "ws_shared") == EventLogBounds(head: total, lowestRetained: 1))
        }
    }

    @Test func batchesKeepInputOrderAndBytesAcrossWorkspaces() async throws {
        try await withPostgresStore { store, _ in
            let log = PostgresEventLog(store: store)
            let payloads = [#"{"a":1}"#, #"{"text":"é ✓ \u0000 \"q\"","n":[1,2.5e3]}"#, #"{ "spaced" : true }"#]
            let batch = (0..<30).map { testEvent($0 % 3 == 0 ? "" : ($0 % 2 == 0 ? "ws_b" : "ws_a"), payload: payloads[$0 % 3]) }
            let envelopes = try await onThread { try log.append(batch) }
            #expect(envelopes.map(\.id) == batch.map(\.id))
            for workspace in ["", "ws_a", "ws_b"] {
                let mine = envelopes.filter { $0.workspaceID == workspace }
                #expect(mine.map(\.seq) == Array(1...Int64(mine.count)))
                let stored = try await log.events(workspace: workspace, since: 0, limit: 100)
                #expect(stored == mine, "workspace '\(workspace)' reads back exactly what append returned")
            }
            #expect(try await log.events(workspace: "ws_a", since: 0, limit: 100).map { $0.payload.bytes }
                .allSatisfy { payloads.map { Array($0.utf8) }.contains($0) })
        }
    }

    @Test func pruneKeepsAContiguousTailAndBoundsReportIt() async throws {
        try await withPostgresStore { store, _ in
            let log = PostgresEventLog(store: store)
            let old = Date(timeIntervalSinceNow: -3600)
            _ = try await onThread {
                try log.append((0..<5).map { _ in testEvent("ws_p", at: old) } + (0..<5).map { _ in testEvent("ws_p") })
            }
            let byAge = try await log.prune(olderThan: Date(timeIntervalSinceNow: -60), keepingAtMost: nil)
            #expect(byAge == PruneReport(removed: 5, lowestRetained: ["ws_p": 6]))
            let byCount = try await log.prune(olderThan: nil, keepingAtMost: 2)
            #expect(byCount == PruneReport(removed: 3, lowestRetained: ["ws_p": 9]))
            #expect(try await log.bounds(workspace: "ws_p") == EventLogBounds(head: 10, lowestRetained: 9))
            #expect(try await log.events(workspace: "ws_p", since: 0, limit: 10).map(\.seq) == [9, 10])
            // The cursor survives retention: the next seq is 11, never reused.
            #expect(try await onThread { try log.append([testEvent("ws_p")]) }.map(\.seq) == [11])
            _ = try await log.prune(olderThan: nil, keepingAtMost: 0)
            #expect(try await log.bounds(workspace: "ws_p") == EventLogBounds(head: 11, lowestRetained: 12))
            #expect(try await log.bounds(workspace: "never") == EventLogBounds(head: 0, lowestRetained: 1))
        }
    }

    @Test func reachabilityFollowsTheServer() async throws {
        try await withPostgresStore { store, _ in
            #expect(await store.isReachable())
            let unreachable = PostgresStore(
                location: PostgresLocation(host: "127.0.0.1", port: try PostgresCluster.freePort(), user: "u", database: "d"),
                logger: .init(label: "test"))
            defer { unreachable.close() }
            #expect(await unreachable.isReachable() == false)
            // A write to an unreachable database fails as `.unavailable`, not a crash or a hang.
            let error = await storageError { _ = try await onThread { try PostgresEventLog(store: unreachable).append([testEvent("w")]) } }
            if case .unavailable = error {} else { Issue.record("expected unavailable, got \(String(describing: error))") }
        }
    }
}
