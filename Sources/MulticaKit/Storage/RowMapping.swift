import Foundation
import GRDB

/// How a record maps to its table. Internal on purpose: GRDB's own record protocols
/// would need public witnesses taking GRDB types, which must not leak from `Storage`.
protocol StoredRecord: Sendable {
    static var table: String { get }
    /// The SELECT (without WHERE) that reads complete records; `SELECT * FROM table` by default.
    static var selectSQL: String { get }
    init(row: Row) throws
    var id: String { get }
    /// Every column but `id`, in a fixed order.
    var columns: [(String, (any DatabaseValueConvertible)?)] { get }
}

extension StoredRecord {
    static var selectSQL: String { "SELECT * FROM \"\(table)\"" }

    static func insert(_ record: Self, _ db: Database) throws {
        let cols = [("id", record.id as (any DatabaseValueConvertible)?)] + record.columns
        let names = cols.map { "\"\($0.0)\"" }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: cols.count).joined(separator: ", ")
        try db.execute(
            sql: "INSERT INTO \"\(table)\" (\(names)) VALUES (\(marks))",
            arguments: StatementArguments(cols.map { $0.1 })
        )
    }

    /// Updates every column but those in `keeping`; throws `.notFound` when no row has the id.
    static func update(_ record: Self, keeping: Set<String> = [], _ db: Database) throws {
        let cols = record.columns.filter { !keeping.contains($0.0) }
        let assignments = cols.map { "\"\($0.0)\" = ?" }.joined(separator: ", ")
        try db.execute(
            sql: "UPDATE \"\(table)\" SET \(assignments) WHERE id = ?",
            arguments: StatementArguments(cols.map { $0.1 } + [record.id])
        )
        if db.changesCount == 0 { throw StorageError.notFound("\(table) \(record.id)") }
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
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map { try Self(row: $0) }
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { try Self(row: $0) }
    }

    /// Deletes the row and returns it as it was; throws `.notFound` when absent.
    static func delete(_ db: Database, id: String) throws -> Self {
        let record = try require(db, id: id)
        try db.execute(sql: "DELETE FROM \"\(table)\" WHERE id = ?", arguments: [id])
        return record
    }
}

/// Column codecs shared by the records.
enum ColumnCodec {
    static func text(_ date: Date) -> String { Timestamp.format(date) }
    static func text(_ date: Date?) -> String? { date.map { Timestamp.format($0) } }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EventJSON.encoder.encode(value), as: UTF8.self)
    }
}

extension Row {
    func string(_ column: String) throws -> String {
        guard let value: String = self[column] else { throw StorageError.invalid("column \(column) is null") }
        return value
    }

    func date(_ column: String) throws -> Date {
        let text = try string(column)
        guard let date = StorageClock.parse(text) else { throw StorageError.invalid("column \(column): bad timestamp '\(text)'") }
        return date
    }

    func optionalDate(_ column: String) throws -> Date? {
        guard let text: String = self[column] else { return nil }
        guard let date = StorageClock.parse(text) else { throw StorageError.invalid("column \(column): bad timestamp '\(text)'") }
        return date
    }

    func value<E: RawRepresentable>(_ column: String, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        let raw = try string(column)
        guard let value = E(rawValue: raw) else { throw StorageError.invalid("column \(column): unknown value '\(raw)'") }
        return value
    }

    func optionalValue<E: RawRepresentable>(_ column: String, as type: E.Type = E.self) throws -> E? where E.RawValue == String {
        guard let raw: String = self[column] else { return nil }
        guard let value = E(rawValue: raw) else { throw StorageError.invalid("column \(column): unknown value '\(raw)'") }
        return value
    }

    func json<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let text = try string(column)
        do {
            return try EventJSON.decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalid("column \(column): bad JSON")
        }
    }
}
