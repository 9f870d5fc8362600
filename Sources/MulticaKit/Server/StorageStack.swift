import Logging

/// The storage one server runs on, as the composition root wires it: the reads, the
/// unit-of-work runner, the event log, and — on a database other nodes share — the
/// signals that say when another node committed.
///
/// Ownership: the stack owns its database handles; `close()` releases them (the
/// SQLite file closes when the last reference goes, the PostgreSQL pool and writer
/// connection when `close()` runs).
struct StorageStack: Sendable {
    let repository: any Repository
    let backend: any TransactionalBackend
    let eventLog: any EventLog
    /// Nil on SQLite: this process is the only writer, and what it commits it delivers.
    let signals: (any ClusterSignals)?
    /// The SQLite database, for the tests' fault seams; nil on PostgreSQL.
    let sqlite: SQLiteDatabase?
    let close: @Sendable () -> Void

    /// Opens (creating and migrating) the SQLite file at `path`.
    static func sqlite(path: String) throws -> StorageStack {
        let database = try SQLiteDatabase(path: path)
        let repository = SQLiteRepository(database: database)
        return StorageStack(
            repository: repository, backend: repository, eventLog: SQLiteEventLog(database: database), signals: nil,
            sqlite: database, close: {}
        )
    }

    /// Connects to PostgreSQL and runs the migrations under the advisory lock.
    static func postgres(_ location: PostgresLocation, logger: Logger) async throws -> StorageStack {
        let store = try await PostgresStore.open(location, logger: logger)
        let repository = PostgresRepository(store: store)
        return StorageStack(
            repository: repository, backend: repository, eventLog: PostgresEventLog(store: store),
            signals: PostgresSignals(store: store), sqlite: nil, close: { store.close() }
        )
    }
}
