import Foundation
import GRDB
import Synchronization

// The SQLite statements built from `StoredRecord` mappings (their rows are read by
// `SQLiteRecordCursor`). Nothing here leaves `Storage`.

extension ColumnValue {
    /// The value as GRDB binds it (flags as 0/1, as the SQLite schema stores them).
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let value): return value.databaseValue
        case .integer(let value): return value.databaseValue
        case .real(let value): return value.databaseValue
        case .flag(let value): return value.map { ($0 ? 1 : 0) as Int64 }.databaseValue
        }
    }
}

extension StoredRecord {
    static func insert(_ record: Self, _ db: Database) throws {
        let cols = [("id", ColumnValue.text(record.id))] + record.columns
        let names = cols.map { "\"\($0.0)\"" }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: cols.count).joined(separator: ", ")
        // Cached, like the reads: a record's column list is fixed, so each table has one
        // INSERT and one UPDATE per `keeping` set, and compiling them was a tenth of a
        // unit of work.
        try SQLiteWrite.execute(db, sql: "INSERT INTO \"\(table)\" (\(names)) VALUES (\(marks))", cols.map { $0.1.databaseValue })
    }

    /// Updates every column but those in `keeping`; throws `.notFound` when no row has the id.
    static func update(_ record: Self, keeping: Set<String> = [], _ db: Database) throws {
        let columns = record.columns
        let shape = SQLiteUpdateShape.of(Self.self, table: table, columns: columns, keeping: keeping, guardedByVersion: false)
        try SQLiteWrite.execute(db, sql: shape.sql, shape.values(columns) + [record.id.databaseValue])
        if db.changesCount == 0 { throw StorageError.notFound("\(table) \(record.id)") }
    }

    /// Updates every column but those in `keeping` if the row's `version` is still
    /// `version`; false (nothing written) when it is not or the row is gone.
    static func update(_ record: Self, keeping: Set<String>, ifVersion version: Int, _ db: Database) throws -> Bool {
        let columns = record.columns
        let shape = SQLiteUpdateShape.of(Self.self, table: table, columns: columns, keeping: keeping, guardedByVersion: true)
        try SQLiteWrite.execute(db, sql: shape.sql, shape.values(columns) + [record.id.databaseValue, version.databaseValue])
        return db.changesCount > 0
    }

    static func fetchOne(_ db: Database, id: String) throws -> Self? {
        try fetchOne(db, sql: "\(selectSQL) WHERE \"\(table)\".id = ?", arguments: [id])
    }

    static func require(_ db: Database, id: String) throws -> Self {
        guard let record = try fetchOne(db, id: id) else { throw StorageError.notFound("\(table) \(id)") }
        return record
    }

    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        // Cached: the SQL of each call site is fixed, and compiling it (with GRDB's
        // authorizer) cost more than running it on the upgrade path.
        let rows = try SQLiteRecordCursor(db, sql: sql, arguments: arguments)
        return try rows.next().map { try Self(row: $0) }
    }

    /// Decodes each row straight off the statement by column index (`SQLiteRecordCursor`).
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        let rows = try SQLiteRecordCursor(db, sql: sql, arguments: arguments)
        var records: [Self] = []
        while let row = try rows.next() { records.append(try Self(row: row)) }
        return records
    }

    /// Deletes the row and returns it as it was; throws `.notFound` when absent.
    static func delete(_ db: Database, id: String) throws -> Self {
        let record = try require(db, id: id)
        try db.cachedStatement(sql: "DELETE FROM \"\(table)\" WHERE id = ?").execute(arguments: [id])
        return record
    }
}

/// The UPDATE statement of one record type for one set of kept columns, built once: its
/// SQL and the positions (in `columns` order) of the values it sets. Building the SQL
/// on every update (interpolating and joining every column name) was 1.5% of the
/// server's CPU under `PUT /api/issues/{id}`.
///
/// Bounded: each call site passes one of a few fixed `keeping` sets, so there are a few
/// shapes per record type. A record's column names and order are fixed (`StoredRecord`).
struct SQLiteUpdateShape: Sendable {
    let sql: String
    let positions: [Int]
    /// The column names it was built from; debug builds check every use against them.
    private let names: [String]

    func values(_ columns: [(String, ColumnValue)]) -> [DatabaseValue] {
        var values: [DatabaseValue] = []
        values.reserveCapacity(positions.count + 2)
        for position in positions { values.append(columns[position].1.databaseValue) }
        return values
    }

    private struct Key: Hashable {
        let type: ObjectIdentifier
        let keeping: Set<String>
        let guardedByVersion: Bool
    }

    private static let known = Mutex<[Key: SQLiteUpdateShape]>([:])

    static func of(
        _ type: Any.Type, table: String, columns: [(String, ColumnValue)], keeping: Set<String>, guardedByVersion: Bool
    ) -> SQLiteUpdateShape {
        let key = Key(type: ObjectIdentifier(type), keeping: keeping, guardedByVersion: guardedByVersion)
        if let shape = known.withLock({ $0[key] }) {
            assert(shape.names == columns.map(\.0), "\(table): the column list changed between updates")
            return shape
        }
        let positions = columns.indices.filter { !keeping.contains(columns[$0].0) }
        let assignments = positions.map { "\"\(columns[$0].0)\" = ?" }.joined(separator: ", ")
        let shape = SQLiteUpdateShape(
            sql: "UPDATE \"\(table)\" SET \(assignments) WHERE id = ?" + (guardedByVersion ? " AND version = ?" : ""),
            positions: positions, names: columns.map(\.0)
        )
        known.withLock { $0[key] = shape }
        return shape
    }
}
