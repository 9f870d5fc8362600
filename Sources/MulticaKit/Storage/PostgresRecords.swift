import Foundation
import Logging
import NIOCore
import PostgresNIO

// The PostgreSQL statements built from `StoredRecord` mappings, a `RecordRow` over
// PostgresNIO's rows, and the blocking statement runner units of work use. Nothing
// here leaves `Storage`.

/// One result row read by column name. A column the query did not select reads as NULL.
struct PostgresRecordRow: RecordRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    private func cell<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T? {
        guard row.contains(column) else { return nil }
        let cell = row[column]
        guard cell.bytes != nil else { return nil }
        do {
            return try cell.decode(T.self)
        } catch {
            throw StorageError.invalid("column \(column): cannot read as \(T.self)")
        }
    }

    func optionalString(_ column: String) throws -> String? { try cell(column, as: String.self) }
    func optionalInteger(_ column: String) throws -> Int64? { try cell(column, as: Int64.self) }
    func optionalReal(_ column: String) throws -> Double? { try cell(column, as: Double.self) }
    func optionalFlag(_ column: String) throws -> Bool? { try cell(column, as: Bool.self) }
}

/// Builds a statement with `$n` placeholders and its bindings.
struct PostgresStatement {
    private(set) var sql = ""
    private(set) var bindings = PostgresBindings()

    init(_ sql: String = "") {
        self.sql = sql
    }

    /// Appends literal SQL (never a value).
    mutating func add(_ text: String) {
        sql += text
    }

    /// Binds `value` and returns its placeholder.
    @discardableResult
    mutating func bind(_ value: ColumnValue) -> String {
        switch value {
        case .text(let text): bindings.append(text)
        case .integer(let integer): bindings.append(integer)
        case .real(let real): bindings.append(real)
        case .flag(let flag): bindings.append(flag)
        }
        return "$\(bindings.count)"
    }

    mutating func bind(_ text: String) -> String { bind(.text(text)) }

    /// Binds `texts` as one `text[]` value (for `= ANY(…)`) and returns its placeholder.
    mutating func bind(texts: [String]) -> String {
        bindings.append(texts)
        return "$\(bindings.count)::text[]"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}

/// Runs statements on one connection, blocking the calling thread (the publisher's
/// writer thread, never an event loop or the cooperative pool) until each answers.
///
/// Failure: PostgresNIO errors leave as `StorageError` (`PostgresErrors.translate`).
/// A deadlock or serialization failure (40P01, 40001) is also remembered in
/// `sawConflict`, because the unit's closure may catch or rethrow it as anything.
final class PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    private(set) var sawConflict = false
    /// Memberships this transaction has read and holds a row lock on (`FOR SHARE` or
    /// stronger), keyed by workspace id then user id: while the lock is held no other
    /// transaction can remove them, so a later unit of the same group may rely on them
    /// without asking again. Only positive answers are kept. Cleared whenever a lock may
    /// have gone (a unit rolled back to its savepoint) or this transaction removed
    /// members itself.
    private var lockedMembers: [String: [String: Member]] = [:]

    func lockedMember(workspace: String, user: String) -> Member? { lockedMembers[workspace]?[user] }

    func rememberLocked(_ member: Member) { lockedMembers[member.workspaceID, default: [:]][member.userID] = member }

    func forgetLockedMembers() { lockedMembers.removeAll() }

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    private func translate(_ error: any Error) -> StorageError {
        if let state = PostgresErrors.sqlState(error), state == "40P01" || state == "40001" { sawConflict = true }
        return PostgresErrors.translate(error)
    }

    /// Sends `query` without waiting (PostgresNIO pipelines it behind earlier ones).
    func send(_ query: PostgresQuery) -> EventLoopFuture<PostgresQueryResult> {
        connection.query(query, logger: logger)
    }

    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        do {
            return try send(query).wait().rows
        } catch {
            throw translate(error)
        }
    }

    /// Runs `query` and returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        do {
            return try send(query).wait().metadata.rows ?? 0
        } catch {
            throw translate(error)
        }
    }

    func records<R: StoredRecord>(_ statement: PostgresStatement, as type: R.Type = R.self) throws -> [R] {
        try rows(statement.query).map { try R(row: PostgresRecordRow($0)) }
    }

    func record<R: StoredRecord>(_ statement: PostgresStatement, as type: R.Type = R.self) throws -> R? {
        try records(statement, as: R.self).first
    }

    func exists(table: String, id: String) throws -> Bool {
        var statement = PostgresStatement()
        statement.add("SELECT 1 FROM \"\(table)\" WHERE id = \(statement.bind(id))")
        return try !rows(statement.query).isEmpty
    }
}

extension StoredRecord {
    /// `SELECT … WHERE id = $1`, optionally `FOR UPDATE` (a unit's read that decides its
    /// write locks the row, so two nodes cannot both read the old version and both write).
    static func selectByID(_ id: String, forUpdate: Bool = false) -> PostgresStatement {
        var statement = PostgresStatement()
        statement.add("\(selectSQL) WHERE \"\(table)\".id = \(statement.bind(id))")
        if forUpdate { statement.add(" FOR UPDATE OF \"\(table)\"") }
        return statement
    }

    static func insert(_ record: Self, _ session: PostgresSession) throws {
        var statement = PostgresStatement()
        let cols = [("id", ColumnValue.text(record.id))] + record.columns
        let marks = cols.map { statement.bind($0.1) }.joined(separator: ", ")
        let names = cols.map { "\"\($0.0)\"" }.joined(separator: ", ")
        statement.add("INSERT INTO \"\(table)\" (\(names)) VALUES (\(marks))")
        try session.execute(statement.query)
    }

    /// Updates every column but those in `keeping`; throws `.notFound` when no row has the id.
    static func update(_ record: Self, keeping: Set<String> = [], _ session: PostgresSession) throws {
        var statement = PostgresStatement()
        let assignments = record.columns.filter { !keeping.contains($0.0) }
            .map { "\"\($0.0)\" = \(statement.bind($0.1))" }.joined(separator: ", ")
        statement.add("UPDATE \"\(table)\" SET \(assignments) WHERE id = \(statement.bind(record.id))")
        if try session.execute(statement.query) == 0 { throw StorageError.notFound("\(table) \(record.id)") }
    }

    static func fetchOne(_ session: PostgresSession, id: String, forUpdate: Bool = false) throws -> Self? {
        try session.record(selectByID(id, forUpdate: forUpdate))
    }

    static func require(_ session: PostgresSession, id: String, forUpdate: Bool = true) throws -> Self {
        guard let record = try fetchOne(session, id: id, forUpdate: forUpdate) else {
            throw StorageError.notFound("\(table) \(id)")
        }
        return record
    }

    /// Deletes the row and returns it as it was; throws `.notFound` when absent.
    static func delete(_ session: PostgresSession, id: String) throws -> Self {
        let record = try require(session, id: id)
        var statement = PostgresStatement()
        statement.add("DELETE FROM \"\(table)\" WHERE id = \(statement.bind(id))")
        try session.execute(statement.query)
        return record
    }
}
