import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Applies `PostgresSchema.migrations` that the database has not seen yet.
///
/// Concurrency: the whole pass runs under `pg_advisory_lock(migrationLockKey)` on one
/// dedicated session, so nodes that start together queue on the lock and the later
/// ones find every migration recorded; each migration and its ledger row commit in one
/// transaction, so a node killed mid-migration leaves nothing half applied.
struct PostgresMigrator {
    let store: PostgresStore

    /// The names applied by this call (empty when another node got there first).
    @discardableResult
    func migrate() async throws -> [String] {
        let connection = try await store.connect(applicationName: "multica-migrate")
        let outcome: Result<[String], any Error>
        do { outcome = .success(try await migrate(on: connection)) } catch { outcome = .failure(error) }
        await PostgresStore.close(connection)
        return try outcome.get()
    }

    private func migrate(on connection: PostgresConnection) async throws -> [String] {
        let logger = store.logger
        try await connection.query("SELECT pg_advisory_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
        do {
            let applied = try await migrateLocked(connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: logger)
            return applied
        } catch {
            // Closing the session releases the lock too; unlock explicitly when we still can.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: logger)
            throw error
        }
    }

    private func migrateLocked(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(
            PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS \(PostgresSchema.ledger) (
                    name TEXT PRIMARY KEY NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """), logger: logger)
        var done = Set<String>()
        for try await name in try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT name FROM \(PostgresSchema.ledger)"), logger: logger
        ).decode(String.self) {
            done.insert(name)
        }
        var applied: [String] = []
        for migration in PostgresSchema.migrations where !done.contains(migration.name) {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in Self.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO multica_migrations (name) VALUES (\(migration.name))", logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            logger.info("applied PostgreSQL migration", metadata: ["migration": "\(migration.name)"])
            applied.append(migration.name)
        }
        return applied
    }

    /// Splits a migration into statements: the extended protocol runs one at a time.
    /// Our migrations have no `;` inside literals, so a split at `;` is exact.
    static func statements(_ sql: String) -> [String] {
        sql.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
