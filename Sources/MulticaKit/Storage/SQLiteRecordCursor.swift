import GRDB
import GRDBSQLite
import Synchronization

/// Steps a select statement and hands each result row to a record's `init(row:)` as a
/// `SQLiteRecordRow`, which reads the statement's current row by column index.
///
/// Why not GRDB's `Row.fetchCursor`: its row builds a lowercased name-to-index
/// dictionary from SQLite's column names for every cursor, and reads every value
/// through unspecialised generic conversions. Most requests read one or a few rows,
/// so that setup was most of what decoding an issue cost (`perf record` under
/// `GET /api/issues`: 6.5% of the server's CPU in `Issue.init(row:)` for one row).
///
/// Conversions are GRDB's own (`fromDatabaseValue`): text from TEXT or a UTF-8 BLOB,
/// integers from INTEGER or an in-range REAL, reals from either, flags from either as
/// nonzero; anything else throws `StorageError.invalid`, NULL reads as nil.
///
/// Threading: like every GRDB cursor, use it only inside the database access that
/// created it, and let it go before that access ends. Deinit resets the statement, so
/// a cursor abandoned after its first row (`fetchOne`) holds no read open.
final class SQLiteRecordCursor: DatabaseCursor {
    /// The first column of the first row as an integer; nil when there is no row or the
    /// value is NULL. For `SELECT 1 …` existence checks and single counters, which went
    /// through GRDB's generic `fetchOne` (2–3% of the server's CPU under `POST /api/events`).
    static func firstInteger(_ db: Database, sql: String, arguments: StatementArguments) throws -> Int64? {
        try SQLiteRecordCursor(db, sql: sql, arguments: arguments).next()?.optionalInteger(at: 0)
    }

    typealias Element = SQLiteRecordRow
    let _statement: Statement
    var _isDone = false
    private let columns: SQLiteColumnIndex
    /// Where the next column read is expected (`SQLiteColumnIndex.position(of:expected:)`).
    fileprivate var nextColumn: Int32 = 0

    /// Steps `db`'s cached statement for `sql`.
    convenience init(_ db: Database, sql: String, arguments: StatementArguments) throws {
        try self.init(db.cachedStatement(sql: sql), sql: sql, arguments: arguments)
    }

    /// `sql` is `statement`'s source text: the key of its column index (GRDB's
    /// `Statement.sql` trims the text anew on every call, which cost 7% of a `PUT`).
    private init(_ statement: Statement, sql: String, arguments: StatementArguments) throws {
        _statement = statement
        columns = SQLiteColumnIndex.of(statement, sql: sql)
        try statement.setArguments(arguments)  // resets, validates and binds
    }

    deinit {
        // A failed step makes reset return that error again: it is reported where the
        // step failed, so it is ignored here, as GRDB's own cursors do.
        sqlite3_reset(_statement.sqliteStatement)
    }

    func _element(sqliteStatement: SQLiteStatement) -> SQLiteRecordRow {
        nextColumn = 0
        return SQLiteRecordRow(cursor: self, statement: sqliteStatement, columns: columns)
    }
}

/// The column positions of one statement's result, by lowercased name (the leftmost of
/// equal names, as GRDB does). Shared by every statement with the same SQL and the same
/// result columns; each use checks the names, so a schema change cannot make it stale.
final class SQLiteColumnIndex: Sendable {
    let names: [String]
    private let positions: [String: Int32]
    /// Whether the name at each position is the leftmost of its (case-insensitive) kind,
    /// so that finding it there is what the dictionary would answer.
    private let leftmost: [Bool]

    private init(names: [String]) {
        self.names = names
        var positions: [String: Int32] = [:]
        for (offset, name) in names.enumerated() where positions[name.lowercased()] == nil {
            positions[name.lowercased()] = Int32(offset)
        }
        self.positions = positions
        leftmost = names.enumerated().map { positions[$0.element.lowercased()] == Int32($0.offset) }
    }

    func position(of column: String) -> Int32? {
        positions[column] ?? positions[column.lowercased()]
    }

    /// `position(of:)`, trying `expected` first and moving it past the answer: records
    /// read their columns in table order, so a name compare (short names are inline
    /// strings) replaces a hashed lookup for almost every read.
    func position(of column: String, expected: inout Int32) -> Int32? {
        let hint = Int(expected)
        if hint < names.count, leftmost[hint], names[hint] == column {
            expected += 1
            return Int32(hint)
        }
        guard let found = position(of: column) else { return nil }
        expected = found + 1
        return found
    }

    /// Bounded by the number of distinct SELECTs in `Storage` (a few dozen).
    private static let known = Mutex<[String: SQLiteColumnIndex]>([:])

    static func of(_ statement: Statement, sql: String) -> SQLiteColumnIndex {
        let names = statement.columnNames  // computed once per prepared statement by GRDB
        if let index = known.withLock({ $0[sql] }), index.names == names { return index }
        let index = SQLiteColumnIndex(names: names)
        known.withLock { $0[sql] = index }
        return index
    }
}

/// The current row of a stepping statement (`SQLiteRecordCursor`). Valid only until the
/// cursor steps again.
struct SQLiteRecordRow: RecordRow {
    /// Keeps the cursor, whose deinit resets the statement, alive while the row is read:
    /// Swift may release a cursor right after its last use, `next()`, which left a
    /// `fetchOne` reading a reset statement (NULLs) before this reference was added.
    private let cursor: SQLiteRecordCursor
    let statement: SQLiteStatement
    let columns: SQLiteColumnIndex

    fileprivate init(cursor: SQLiteRecordCursor, statement: SQLiteStatement, columns: SQLiteColumnIndex) {
        self.cursor = cursor
        self.statement = statement
        self.columns = columns
    }

    /// A non-NULL cell: where it is and SQLite's storage class for it.
    private struct Cell {
        let position: Int32
        let type: Int32
    }

    /// The named column's cell; nil when the result has no such column (reads as NULL,
    /// as `RecordRow` promises) or its value is NULL.
    private func cell(_ column: String) -> Cell? {
        columns.position(of: column, expected: &cursor.nextColumn).flatMap(cell(at:))
    }

    private func cell(at position: Int32) -> Cell? {
        let type = sqlite3_column_type(statement, position)
        return type == SQLITE_NULL ? nil : Cell(position: position, type: type)
    }

    private func mismatch(_ column: String, _ cell: Cell) -> StorageError {
        let kinds = [SQLITE_INTEGER: "integer", SQLITE_FLOAT: "real", SQLITE_TEXT: "text", SQLITE_BLOB: "blob"]
        return StorageError.invalid("column \(column): unexpected \(kinds[cell.type] ?? "value")")
    }

    func optionalString(_ column: String) throws -> String? {
        guard let cell = cell(column) else { return nil }
        switch cell.type {
        case SQLITE_TEXT:
            // Text first, then its length: SQLite's documented order for a text value.
            let text = sqlite3_column_text(statement, cell.position)
            let count = Int(sqlite3_column_bytes(statement, cell.position))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        case SQLITE_BLOB:
            // GRDB reads a blob as text only when it is valid UTF-8.
            guard let text = String(validating: bytes(cell), as: UTF8.self) else { throw mismatch(column, cell) }
            return text
        default:
            throw mismatch(column, cell)
        }
    }

    func optionalInteger(_ column: String) throws -> Int64? {
        try cell(column).map { try integer($0, column) }
    }

    /// The integer in the column at `position` (0 is the leftmost), nil when NULL.
    func optionalInteger(at position: Int32) throws -> Int64? {
        guard position < sqlite3_column_count(statement) else {
            throw StorageError.invalid("column \(position) of \(sqlite3_column_count(statement))")
        }
        return try cell(at: position).map { try integer($0, "\(position)") }
    }

    private func integer(_ cell: Cell, _ column: String) throws -> Int64 {
        switch cell.type {
        case SQLITE_INTEGER:
            return sqlite3_column_int64(statement, cell.position)
        case SQLITE_FLOAT:
            let real = sqlite3_column_double(statement, cell.position)
            guard real >= Double(Int64.min), real < Double(Int64.max) else { throw mismatch(column, cell) }
            return Int64(real)
        default:
            throw mismatch(column, cell)
        }
    }

    func optionalReal(_ column: String) throws -> Double? {
        guard let cell = cell(column) else { return nil }
        switch cell.type {
        case SQLITE_INTEGER, SQLITE_FLOAT: return sqlite3_column_double(statement, cell.position)
        default: throw mismatch(column, cell)
        }
    }

    func optionalFlag(_ column: String) throws -> Bool? {
        guard let cell = cell(column) else { return nil }
        switch cell.type {
        case SQLITE_INTEGER: return sqlite3_column_int64(statement, cell.position) != 0
        case SQLITE_FLOAT: return sqlite3_column_double(statement, cell.position) != 0
        default: throw mismatch(column, cell)
        }
    }

    /// A BLOB's bytes, or a TEXT's UTF-8 bytes (SQLite converts, as GRDB's `Data` does).
    func optionalBytes(_ column: String) throws -> [UInt8]? {
        guard let cell = cell(column) else { return nil }
        switch cell.type {
        case SQLITE_BLOB, SQLITE_TEXT: return Array(bytes(cell))
        default: throw mismatch(column, cell)
        }
    }

    /// The cell's bytes, valid until the cursor steps.
    private func bytes(_ cell: Cell) -> UnsafeBufferPointer<UInt8> {
        // Blob first, then its length: SQLite's documented order.
        let start = sqlite3_column_blob(statement, cell.position)?.assumingMemoryBound(to: UInt8.self)
        return UnsafeBufferPointer(start: start, count: start == nil ? 0 : Int(sqlite3_column_bytes(statement, cell.position)))
    }
}
