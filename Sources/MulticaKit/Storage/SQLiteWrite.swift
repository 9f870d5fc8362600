import GRDB
import GRDBSQLite

/// Runs a cached write statement (INSERT, UPDATE, DELETE) with positional values bound
/// straight into SQLite, then steps it through GRDB's own cursor stepping, so GRDB keeps
/// its bookkeeping as for `execute(arguments:)`: the aborted-transaction check,
/// autocommit transitions, `DatabaseError` with SQLite's message, and a failed statement
/// evicted from the cache.
///
/// Why: `StatementArguments` maps every value through GRDB's unspecialised generic
/// initialisers (a key path or an existential per value), 3.8% of the server's CPU under
/// `PUT /api/issues/{id}` and 2.7% under pipelined socket publishing; binding a
/// `DatabaseValue` by index is what GRDB itself does in the end (`bind(to:at:)`).
///
/// Use it only for SQL that is run through here alone: GRDB does not know the values
/// bound, so the same cached statement run by `execute()` without arguments would reuse
/// them.
///
/// Threading: inside the database access that owns `db`, like any GRDB statement.
final class SQLiteWrite: DatabaseCursor {
    typealias Element = Void
    let _statement: Statement
    var _isDone = false

    /// Runs `sql` once with `values` for its `?` parameters, in order. Throws
    /// `StorageError.invalid` when their number differs from the statement's.
    static func execute(_ db: Database, sql: String, _ values: [DatabaseValue]) throws {
        let statement = try db.cachedStatement(sql: sql)
        let handle = statement.sqliteStatement
        // A cached statement whose last step failed is evicted by GRDB, so a reset here
        // has nothing to report.
        sqlite3_reset(handle)
        guard Int(sqlite3_bind_parameter_count(handle)) == values.count else {
            throw StorageError.invalid("\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters: \(sql)")
        }
        for (offset, value) in values.enumerated() {
            let code = value.bind(to: handle, at: CInt(offset + 1))
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: sql) }
        }
        try SQLiteWrite(statement).forEach { _ in }
    }

    private init(_ statement: Statement) {
        _statement = statement
    }

    func _element(sqliteStatement: SQLiteStatement) {}
}
