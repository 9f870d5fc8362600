import CSQLiteTuning
import Foundation
import GRDB

/// The SQLite database file: a pool of connections in WAL mode (one writer, many
/// readers), migrated to the current schema when opened.
public final class SQLiteDatabase: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Connections of `readInline` (see `SQLiteInlineReaders` for why not the pool's).
    private let inlineReaders: SQLiteInlineReaders

    /// Opens (creating if needed) the database at `path`, with its parent directories,
    /// and runs every pending migration.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        _ = Self.libraryConfigured
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError.unavailable("cannot create \(directory.path): \(error.localizedDescription)")
        }
        var config = Configuration()
        config.label = "multica"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try StorageSchema.migrator.migrate(pool)
            // One per cooperative-pool thread, the callers of `readInline`.
            inlineReaders = try SQLiteInlineReaders(
                path: path, count: ProcessInfo.processInfo.activeProcessorCount, configuration: config
            )
        } catch {
            throw StorageError.translate(error)
        }
    }

    /// SQLite's process-wide settings (`multica_sqlite_configure`), applied before the
    /// first connection opens: under pipelined publishing, SQLite's per-call connection
    /// mutex and its allocation statistics were each a share of the writer's CPU.
    /// When something initialized SQLite earlier in the process, its defaults stay.
    static let libraryConfigured: Bool = multica_sqlite_configure() == 0

    /// True when a trivial read succeeds (for `/readyz`).
    public func isReachable() async -> Bool {
        let one = try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        return one == 1
    }

    /// The number of rows of one of the schema's tables (for tests and tools).
    public func rowCount(_ table: String) throws -> Int {
        guard StorageSchema.tables.contains(table) else { throw StorageError.invalid("unknown table '\(table)'") }
        return try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0 }
    }

    /// The names of the tables present in the file.
    public func tableNames() throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'"))
        }
    }

    /// Runs one raw statement (tests use it to prove the CHECK constraints hold).
    func execute(sql: String, arguments: [String?] = []) throws {
        try write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }

    /// The value of a PRAGMA on a writer connection (tests check the configuration).
    func pragma(_ name: String) throws -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { throw StorageError.invalid("bad pragma name") }
        return try write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: - Access for the storage layer (errors translated)

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StorageError.translate(error) }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw StorageError.translate(error) }
    }

    /// The writer connection with no transaction opened: the caller opens its own
    /// (units of work use `BEGIN IMMEDIATE` and a savepoint per unit).
    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.writeWithoutTransaction(body) } catch { throw StorageError.translate(error) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw StorageError.translate(error) }
    }

    /// A short read run on the calling task's own thread: no hop to a GRDB reader queue
    /// and back (two thread wake-ups, which cost more than the SQL of a membership check
    /// or an issue list).
    ///
    /// Threading: blocks the caller's thread (a cooperative-pool thread) for the length
    /// of the SQL. That is bounded: in WAL mode a reader never waits for the writer, and
    /// it waits for a free connection only while other inline reads run their SQL, on
    /// connections of its own (`SQLiteInlineReaders`), never on GRDB's readers, which
    /// async reads hold across suspension. Reads that may run long (event-log
    /// replays) use `read(_:) async` instead.
    ///
    /// No transaction is wrapped around `body` (GRDB's `unsafeRead`): its BEGIN and COMMIT
    /// cost as much as the read. That is exact only for one statement, which SQLite runs
    /// on one snapshot, so `body` must be a single SELECT (each repository read is).
    func readInline<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        do { return try inlineReaders.read(body) } catch { throw StorageError.translate(error) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw StorageError.translate(error) }
    }
}

extension StorageError {
    /// Maps any error thrown inside a database access to a `StorageError`.
    static func translate(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        guard let dbError = error as? DatabaseError else { return .unavailable(String(describing: error)) }
        let message = dbError.message ?? "\(dbError.extendedResultCode)"
        switch dbError.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return .conflict(message)
        case .SQLITE_CONSTRAINT_CHECK, .SQLITE_CONSTRAINT_NOTNULL, .SQLITE_CONSTRAINT_FOREIGNKEY:
            return .invalid(message)
        default:
            if dbError.resultCode == .SQLITE_CONSTRAINT { return .invalid(message) }
            return .unavailable(message)
        }
    }
}
