import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The event log in PostgreSQL, shared by every node on the database (SPEC §4, "Backends").
///
/// Seq assignment: one statement per workspace upserts its `event_cursor` row
/// (`head_seq += n`, which takes the row lock), inserts the events numbered from the
/// new head, and queues `pg_notify('multica_events', 'workspace:head')`; the COMMIT is
/// pipelined right behind it, so the lock is held for one statement plus the commit.
/// Two transactions of one workspace serialise on that row, so seq order is commit
/// order and a reader that sees seq N also sees every seq below it: no sequence
/// object, no gap. Workspaces of one batch are locked in id order (no deadlock).
///
/// Threading: `append` blocks its caller (the publisher's writer thread) on the
/// store's dedicated writer connection; reads and pruning are `async` on the pool.
public final class PostgresEventLog: EventLog {
    /// The notification channel; payload `workspace_id:seq` (the new head).
    public static let channel = "multica_events"

    let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    /// Appends `events` in a transaction of their own (the `EventLog` entry point; the
    /// server appends inside units of work, through `PostgresRepository.run`).
    public func append(_ events: [NewEvent]) throws -> [EventEnvelope] {
        guard !events.isEmpty else { return [] }
        return try store.withWriter { connection in
            let session = PostgresSession(connection: connection, logger: store.logger)
            let begin = session.send("BEGIN")
            let pending = Self.sendAppend(events, on: session)
            let commit = session.send("COMMIT")
            var firstError: (any Error)?
            do { _ = try begin.wait() } catch { firstError = error }
            return try pending.finish(commit: commit, earlierError: firstError)
        }
    }

    /// The append statements of one transaction, sent (pipelined) but not yet answered.
    struct PendingAppend {
        let events: [NewEvent]
        let workspaces: [String]
        let counts: [String: Int]
        let answers: [(String, EventLoopFuture<PostgresQueryResult>)]

        /// Waits for the appends and for `commit` (sent right behind them), and numbers
        /// the events. Throws, with nothing stored, if any of them failed.
        func finish(commit: EventLoopFuture<PostgresQueryResult>, earlierError: (any Error)? = nil) throws -> [EventEnvelope] {
            var firstError = earlierError
            var heads: [String: Int64] = [:]
            for (workspace, future) in answers {
                do {
                    let result = try future.wait()
                    guard let row = result.rows.first else { throw StorageError.unavailable("append returned no row") }
                    heads[workspace] = try row.decode(Int64.self)
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            let outcome: Result<PostgresQueryResult, any Error>
            do { outcome = .success(try commit.wait()) } catch { outcome = .failure(error) }
            if let firstError { throw PostgresErrors.translate(firstError) }
            let committed: PostgresQueryResult
            do { committed = try outcome.get() } catch { throw PostgresErrors.translate(error) }
            // COMMIT of an aborted transaction answers ROLLBACK instead of failing.
            guard committed.metadata.command == "COMMIT" else { throw StorageError.unavailable("transaction rolled back") }
            var next: [String: Int64] = [:]
            for workspace in workspaces { next[workspace] = heads[workspace, default: 0] - Int64(counts[workspace, default: 0]) + 1 }
            var envelopes: [EventEnvelope] = []
            envelopes.reserveCapacity(events.count)
            for event in events {
                let seq = next[event.workspaceID, default: 1]
                next[event.workspaceID] = seq + 1
                var envelope = event.sequenced(seq)
                envelope.timestamp = StorageClock.truncate(event.timestamp)
                envelopes.append(envelope)
            }
            return envelopes
        }
    }

    /// Sends one append statement per workspace of `events`, in workspace id order (two
    /// transactions that lock several cursor rows always lock them in the same order, so
    /// they cannot deadlock on them). Events of one workspace keep their order.
    static func sendAppend(_ events: [NewEvent], on session: PostgresSession) -> PendingAppend {
        var positions: [String: [Int]] = [:]
        for (index, event) in events.enumerated() { positions[event.workspaceID, default: []].append(index) }
        let workspaces = positions.keys.sorted()
        var answers: [(String, EventLoopFuture<PostgresQueryResult>)] = []
        for workspace in workspaces {
            let batch = positions[workspace, default: []].map { events[$0] }
            answers.append((workspace, session.send(appendQuery(workspace: workspace, batch))))
        }
        return PendingAppend(
            events: events, workspaces: workspaces, counts: positions.mapValues(\.count), answers: answers
        )
    }

    /// The one statement that numbers, stores and announces one workspace's events.
    static func appendQuery(workspace: String, _ batch: [NewEvent]) -> PostgresQuery {
        let count = Int64(batch.count)
        let ids = batch.map(\.id)
        let types = batch.map(\.type.rawValue)
        let actorTypes = batch.map(\.actorType.rawValue)
        let actorIDs = batch.map(\.actorID)
        let times = batch.map { StorageClock.millis($0.timestamp) }
        let synthetic = batch.map(\.synthetic)
        let payloads = batch.map { String(decoding: $0.payload.bytes, as: UTF8.self) }
        return """
            WITH c AS (
                INSERT INTO event_cursor (workspace_id, head_seq) VALUES (\(workspace), \(count))
                ON CONFLICT (workspace_id) DO UPDATE SET head_seq = event_cursor.head_seq + EXCLUDED.head_seq
                RETURNING head_seq
            ), ins AS (
                INSERT INTO event (workspace_id, seq, id, type, actor_type, actor_id, ts, synthetic, payload)
                SELECT \(workspace), c.head_seq - \(count) + t.ord, t.id, t.type, t.actor_type, t.actor_id, t.ts,
                       t.synthetic, t.payload
                FROM c, unnest(\(ids)::text[], \(types)::text[], \(actorTypes)::text[], \(actorIDs)::text[],
                               \(times)::bigint[], \(synthetic)::bool[], \(payloads)::text[])
                     WITH ORDINALITY AS t(id, type, actor_type, actor_id, ts, synthetic, payload, ord)
                RETURNING 1
            ), n AS (
                SELECT pg_notify('multica_events', \(workspace) || ':' || (SELECT head_seq FROM c)::text)
            )
            SELECT c.head_seq FROM c, n
            """
    }

    public func events(workspace: String, since: Int64, limit: Int) async throws -> [EventEnvelope] {
        guard limit > 0 else { return [] }
        do {
            let rows = try await store.client.query("""
                SELECT seq, id, type, actor_type, actor_id, ts, synthetic, payload
                FROM event WHERE workspace_id = \(workspace) AND seq > \(since) ORDER BY seq LIMIT \(Int64(limit))
                """)
            var result: [EventEnvelope] = []
            for try await (seq, id, type, actor, actorID, ts, synthetic, payload) in rows.decode(
                (Int64, String, String, String, String, Int64, Bool, ByteBuffer).self
            ) {
                guard let eventType = EventType(rawValue: type) else { throw StorageError.invalid("stored event type '\(type)'") }
                guard let actorType = ActorType(rawValue: actor) else { throw StorageError.invalid("stored actor type '\(actor)'") }
                result.append(EventEnvelope(
                    id: id, seq: seq, type: eventType, workspaceID: workspace, actorType: actorType, actorID: actorID,
                    timestamp: StorageClock.date(millis: ts), synthetic: synthetic,
                    payload: RawJSONObject(trusted: Array(payload.readableBytesView))
                ))
            }
            return result
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    public func bounds(workspace: String) async throws -> EventLogBounds {
        do {
            let rows = try await store.client.query("""
                SELECT (SELECT head_seq FROM event_cursor WHERE workspace_id = \(workspace)),
                       (SELECT MIN(seq) FROM event WHERE workspace_id = \(workspace))
                """)
            for try await (head, lowest) in rows.decode((Int64?, Int64?).self) {
                let h = head ?? 0
                return EventLogBounds(head: h, lowestRetained: lowest ?? h + 1)
            }
            return EventLogBounds(head: 0, lowestRetained: 1)
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    public func prune(olderThan: Date?, keepingAtMost: Int?) async throws -> PruneReport {
        if let keepingAtMost, keepingAtMost < 0 { throw StorageError.invalid("keepingAtMost must not be negative") }
        let logger = store.logger
        do {
            return try await store.client.withTransaction(logger: logger) { connection in
                var removed = 0
                var affected = Set<String>()
                // Per workspace, everything up to a threshold, so the retained range stays contiguous.
                var thresholds: [(String, Int64)] = []
                if let olderThan {
                    let rows = try await connection.query(
                        "SELECT workspace_id, MAX(seq) FROM event WHERE ts < \(StorageClock.millis(olderThan)) GROUP BY workspace_id",
                        logger: logger)
                    for try await (workspace, seq) in rows.decode((String, Int64).self) { thresholds.append((workspace, seq)) }
                }
                for (workspace, seq) in thresholds {
                    removed += try await Self.delete(connection, workspace: workspace, through: seq, logger: logger)
                    affected.insert(workspace)
                }
                thresholds = []
                if let keepingAtMost {
                    // The seq just below the oldest of the newest `keepingAtMost` of each workspace.
                    let rows = try await connection.query("""
                        SELECT workspace_id, seq FROM (
                            SELECT workspace_id, seq, row_number() OVER (PARTITION BY workspace_id ORDER BY seq DESC) AS r
                            FROM event) ranked
                        WHERE r = \(Int64(keepingAtMost) + 1)
                        """, logger: logger)
                    for try await (workspace, seq) in rows.decode((String, Int64).self) { thresholds.append((workspace, seq)) }
                }
                for (workspace, seq) in thresholds {
                    removed += try await Self.delete(connection, workspace: workspace, through: seq, logger: logger)
                    affected.insert(workspace)
                }
                var lowest: [String: Int64] = [:]
                for workspace in affected.sorted() {
                    let rows = try await connection.query("""
                        UPDATE event_cursor
                        SET pruned_through = COALESCE((SELECT MIN(seq) FROM event WHERE workspace_id = \(workspace)), head_seq + 1) - 1
                        WHERE workspace_id = \(workspace) RETURNING pruned_through
                        """, logger: logger)
                    for try await pruned in rows.decode(Int64.self) { lowest[workspace] = pruned + 1 }
                }
                return PruneReport(removed: removed, lowestRetained: lowest)
            }
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    private static func delete(_ connection: PostgresConnection, workspace: String, through seq: Int64, logger: Logger)
        async throws -> Int
    {
        let rows = try await connection.query(
            "WITH d AS (DELETE FROM event WHERE workspace_id = \(workspace) AND seq <= \(seq) RETURNING 1) SELECT count(*) FROM d",
            logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
