import Foundation

/// A column value in neither database's type system, so that one record mapping serves
/// SQLite and PostgreSQL. SQLite stores `.flag` as 0/1 INTEGER, PostgreSQL as BOOLEAN.
enum ColumnValue: Sendable {
    case text(String?)
    case integer(Int64?)
    case real(Double?)
    case flag(Bool?)
}

/// Reading one result row by column name, whatever the database. Conformers:
/// `SQLiteRecordRow` (SQLiteRecordCursor.swift) and `PostgresRecordRow` (PostgresRecords.swift).
///
/// A missing column reads as NULL; a value of the wrong type throws `StorageError.invalid`.
protocol RecordRow {
    func optionalString(_ column: String) throws -> String?
    func optionalInteger(_ column: String) throws -> Int64?
    func optionalReal(_ column: String) throws -> Double?
    func optionalFlag(_ column: String) throws -> Bool?
}

extension RecordRow {
    func string(_ column: String) throws -> String {
        guard let value = try optionalString(column) else { throw StorageError.invalid("column \(column) is null") }
        return value
    }

    func integer(_ column: String, default fallback: Int) throws -> Int {
        try optionalInteger(column).map { Int($0) } ?? fallback
    }

    func date(_ column: String) throws -> Date {
        let text = try string(column)
        guard let date = StorageClock.parse(text) else { throw StorageError.invalid("column \(column): bad timestamp '\(text)'") }
        return date
    }

    func optionalDate(_ column: String) throws -> Date? {
        guard let text = try optionalString(column) else { return nil }
        guard let date = StorageClock.parse(text) else { throw StorageError.invalid("column \(column): bad timestamp '\(text)'") }
        return date
    }

    func value<E: RawRepresentable>(_ column: String, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        let raw = try string(column)
        guard let value = E(rawValue: raw) else { throw StorageError.invalid("column \(column): unknown value '\(raw)'") }
        return value
    }

    func optionalValue<E: RawRepresentable>(_ column: String, as type: E.Type = E.self) throws -> E? where E.RawValue == String {
        guard let raw = try optionalString(column) else { return nil }
        guard let value = E(rawValue: raw) else { throw StorageError.invalid("column \(column): unknown value '\(raw)'") }
        return value
    }

    func json<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let text = try string(column)
        // Most list columns are empty: skip building a decoder for them.
        if text == "[]", let empty = [JSONValue]() as? T { return empty }
        do {
            return try EventJSON.decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalid("column \(column): bad JSON")
        }
    }
}

/// How a record maps to its table, in both dialects. Internal on purpose: GRDB's own
/// record protocols would need public witnesses taking GRDB types, which must not leak
/// from `Storage`. The statements built from it live with each backend
/// (`SQLiteRecords.swift`, `PostgresRecords.swift`).
protocol StoredRecord: Sendable {
    static var table: String { get }
    /// The SELECT (without WHERE) that reads complete records; `SELECT * FROM "table"`
    /// by default. Valid in both dialects.
    static var selectSQL: String { get }
    init(row: some RecordRow) throws
    var id: String { get }
    /// Every column but `id`, in a fixed order.
    var columns: [(String, ColumnValue)] { get }
}

extension StoredRecord {
    static var selectSQL: String { "SELECT * FROM \"\(table)\"" }
}

/// Column codecs shared by the records.
enum ColumnCodec {
    static func text(_ date: Date) -> ColumnValue { .text(Timestamp.format(date)) }
    static func text(_ date: Date?) -> ColumnValue { .text(date.map { Timestamp.format($0) }) }

    static func json<T: Encodable>(_ value: T, orEmpty empty: String) -> ColumnValue {
        .text((try? JSONCoding.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? empty)
    }
}
