import Foundation
import GRDB

/// The event log in the `event` table, with each workspace's last assigned `seq` in
/// `event_cursor` so that a `seq` is never reused, even after retention removed
/// every event of a workspace.
public final class SQLiteEventLog: EventLog {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Appends `events` inside the caller's transaction (a unit of work's savepoint) and
    /// returns them with their `seq`. Seqs are read and assigned in that transaction: the
    /// writer is serialized, so every unit sees the head the previous one left, and a
    /// rolled-back unit leaves the cursor as it was (no gap).
    ///
    /// `group`: the heads that earlier units of the same group committed (nil for a
    /// group of one). In a group the cursor rows are not written here but once, at the
    /// group's end (`writeHeads`); alone, the append writes them itself.
    static func append(_ events: [NewEvent], in db: Database, group: GroupEventHeads? = nil) throws -> [EventEnvelope] {
        var heads: [String: Int64] = [:]
        var order: [String] = []
        for event in events where heads[event.workspaceID] == nil {
            if let head = group?.head(of: event.workspaceID) {
                heads[event.workspaceID] = head
            } else {
                heads[event.workspaceID] = try SQLiteRecordCursor.firstInteger(
                    db, sql: "SELECT head_seq FROM event_cursor WHERE workspace_id = ?", arguments: [event.workspaceID]
                ) ?? 0
            }
            order.append(event.workspaceID)
        }
        // The payload is bound as bytes and stored as TEXT without any re-encoding.
        let insert = """
            INSERT INTO event (workspace_id, seq, id, type, actor_type, actor_id, ts, synthetic, payload)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))
            """
        var envelopes: [EventEnvelope] = []
        envelopes.reserveCapacity(events.count)
        for event in events {
            let seq = heads[event.workspaceID, default: 0] + 1
            heads[event.workspaceID] = seq
            try SQLiteWrite.execute(db, sql: insert, [
                event.workspaceID.databaseValue, seq.databaseValue, event.id.databaseValue,
                event.type.rawValue.databaseValue, event.actorType.rawValue.databaseValue, event.actorID.databaseValue,
                StorageClock.millis(event.timestamp).databaseValue, event.synthetic.databaseValue,
                Data(event.payload.bytes).databaseValue,
            ])
            var envelope = event.sequenced(seq)
            envelope.timestamp = StorageClock.truncate(event.timestamp)
            envelopes.append(envelope)
        }
        if group == nil {
            for workspace in order { try writeHead(heads[workspace, default: 0], of: workspace, in: db) }
        }
        return envelopes
    }

    /// Writes the cursor rows of the heads a group's units committed, inside the group's
    /// transaction, after its last unit. When this throws, the group fails as a whole.
    static func writeHeads(_ group: GroupEventHeads, in db: Database) throws {
        for (workspace, head) in group.all { try writeHead(head, of: workspace, in: db) }
    }

    private static func writeHead(_ head: Int64, of workspace: String, in db: Database) throws {
        let cursor = """
            INSERT INTO event_cursor (workspace_id, head_seq) VALUES (?, ?)
            ON CONFLICT(workspace_id) DO UPDATE SET head_seq = excluded.head_seq
            """
        try SQLiteWrite.execute(db, sql: cursor, [workspace.databaseValue, head.databaseValue])
    }

    public func events(workspace: String, since: Int64, limit: Int) async throws -> [EventEnvelope] {
        guard limit > 0 else { return [] }
        return try await database.read { db in
            let rows = try SQLiteRecordCursor(
                db,
                sql: """
                    SELECT seq, id, type, actor_type, actor_id, ts, synthetic, CAST(payload AS BLOB) AS payload
                    FROM event WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?
                    """,
                arguments: [workspace, since, limit]
            )
            var result: [EventEnvelope] = []
            while let row = try rows.next() {
                result.append(try Self.envelope(row, workspace: workspace))
            }
            return result
        }
    }

    public func bounds(workspace: String) async throws -> EventLogBounds {
        // One statement, so one snapshot: read inline (`readInline`), without the hop to
        // a GRDB reader and its BEGIN/COMMIT, which were 7% of a socket upgrade's CPU
        // (every hello carries `head_seq`).
        try database.readInline { db in try Self.bounds(db, workspace: workspace) }
    }

    public func prune(olderThan: Date?, keepingAtMost: Int?) async throws -> PruneReport {
        if let keepingAtMost, keepingAtMost < 0 { throw StorageError.invalid("keepingAtMost must not be negative") }
        return try await database.write { db in
            var removed = 0
            var affected = Set<String>()
            if let olderThan {
                // Remove, per workspace, everything up to its newest event older than the
                // cutoff, so the retained range stays contiguous.
                let cutoffs = try Row.fetchAll(
                    db, sql: "SELECT workspace_id, MAX(seq) AS seq FROM event WHERE ts < ? GROUP BY workspace_id",
                    arguments: [StorageClock.millis(olderThan)]
                )
                for row in cutoffs {
                    let workspace: String = row["workspace_id"]
                    let seq: Int64 = row["seq"]
                    try db.execute(sql: "DELETE FROM event WHERE workspace_id = ? AND seq <= ?", arguments: [workspace, seq])
                    removed += db.changesCount
                    affected.insert(workspace)
                }
            }
            if let keepingAtMost {
                let counts = try Row.fetchAll(
                    db, sql: "SELECT workspace_id, COUNT(*) AS n, MAX(seq) AS head FROM event GROUP BY workspace_id HAVING n > ?",
                    arguments: [keepingAtMost]
                )
                for row in counts {
                    let workspace: String = row["workspace_id"]
                    let threshold: Int64
                    if keepingAtMost == 0 {
                        threshold = row["head"]
                    } else {
                        // The seq just below the oldest of the newest `keepingAtMost`.
                        let oldestKept = try Int64.fetchOne(
                            db, sql: "SELECT seq FROM event WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
                            arguments: [workspace, keepingAtMost - 1]
                        ) ?? 1
                        threshold = oldestKept - 1
                    }
                    try db.execute(sql: "DELETE FROM event WHERE workspace_id = ? AND seq <= ?", arguments: [workspace, threshold])
                    removed += db.changesCount
                    affected.insert(workspace)
                }
            }
            var lowest: [String: Int64] = [:]
            for workspace in affected {
                let bounds = try Self.bounds(db, workspace: workspace)
                try db.execute(
                    sql: "UPDATE event_cursor SET pruned_through = ? WHERE workspace_id = ?",
                    arguments: [bounds.lowestRetained - 1, workspace]
                )
                lowest[workspace] = bounds.lowestRetained
            }
            return PruneReport(removed: removed, lowestRetained: lowest)
        }
    }

    /// Head and lowest retained seq in one statement, so both come from one snapshot.
    private static func bounds(_ db: Database, workspace: String) throws -> EventLogBounds {
        let sql = """
            SELECT (SELECT head_seq FROM event_cursor WHERE workspace_id = ?1),
                   (SELECT MIN(seq) FROM event WHERE workspace_id = ?1)
            """
        let row = try SQLiteRecordCursor(db, sql: sql, arguments: [workspace]).next()
        let head = try row?.optionalInteger(at: 0) ?? 0
        let lowest = try row?.optionalInteger(at: 1)
        return EventLogBounds(head: head, lowestRetained: lowest ?? head + 1)
    }

    /// A stored row as an envelope; a row that does not fit (a NULL, an unknown type)
    /// throws `StorageError.invalid` instead of trapping.
    private static func envelope(_ row: SQLiteRecordRow, workspace: String) throws -> EventEnvelope {
        func required<T>(_ column: String, _ read: (String) throws -> T?) throws -> T {
            guard let value = try read(column) else { throw StorageError.invalid("stored event: column \(column) is null") }
            return value
        }
        let typeName = try required("type", row.optionalString)
        guard let type = EventType(rawValue: typeName) else { throw StorageError.invalid("stored event type '\(typeName)'") }
        let actorName = try required("actor_type", row.optionalString)
        guard let actorType = ActorType(rawValue: actorName) else { throw StorageError.invalid("stored actor type '\(actorName)'") }
        return EventEnvelope(
            id: try required("id", row.optionalString), seq: try required("seq", row.optionalInteger), type: type,
            workspaceID: workspace, actorType: actorType, actorID: try required("actor_id", row.optionalString),
            timestamp: StorageClock.date(millis: try required("ts", row.optionalInteger)),
            synthetic: try required("synthetic", row.optionalFlag),
            payload: RawJSONObject(trusted: try required("payload", row.optionalBytes))
        )
    }
}
