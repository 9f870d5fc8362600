import Foundation
import GRDB
import GRDBSQLite
import Testing
@testable import MulticaKit

/// `SQLiteRecordRow` reads a stepping statement by column index instead of through
/// GRDB's `Row`; these pin that it converts exactly as GRDB did, so records decode the
/// same, and that an abandoned cursor leaves its statement reset.
@Suite("SQLite record rows")
struct SQLiteRecordRowTests {
    static func withDatabase<T: Sendable>(_ body: @Sendable (SQLiteDatabase) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-rows-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try body(try SQLiteDatabase(path: directory.appendingPathComponent("rows.db").path))
    }

    struct Conversions: Sendable, Equatable {
        var text, blobText, missing, null, mixedCase: String?
        var integer, integerFromReal, duplicate: Int64?
        var realFromInteger, real: Double?
        var flagZero, flagNonzero, flagReal: Bool?
        var blobBytes, textBytes, emptyBytes: [UInt8]?
        var refused: [String] = []
    }

    @Test func convertsAsGRDBDidAndRefusesOtherTypes() throws {
        let read = try Self.withDatabase { database in
            try database.read { db -> Conversions in
                let sql = """
                    SELECT 'a' AS t, CAST('é' AS BLOB) AS b, X'FF' AS bad, 3 AS i, 2.0 AS r, 2.5 AS rr,
                           NULL AS n, 0 AS f, 1 AS dup, 2 AS dup, 'A' AS Mixed, 0.5 AS half, X'' AS empty
                    """
                let cursor = try SQLiteRecordCursor(db, sql: sql, arguments: [])
                let row = try #require(try cursor.next())
                var c = Conversions()
                c.text = try row.optionalString("t")
                c.blobText = try row.optionalString("b")
                c.missing = try row.optionalString("no_such_column")
                c.null = try row.optionalString("n")
                c.mixedCase = try row.optionalString("mixed")
                c.integer = try row.optionalInteger("i")
                c.integerFromReal = try row.optionalInteger("r")
                c.duplicate = try row.optionalInteger("dup")
                c.realFromInteger = try row.optionalReal("i")
                c.real = try row.optionalReal("rr")
                c.flagZero = try row.optionalFlag("f")
                c.flagNonzero = try row.optionalFlag("i")
                c.flagReal = try row.optionalFlag("half")
                c.blobBytes = try row.optionalBytes("bad")
                c.textBytes = try row.optionalBytes("t")
                c.emptyBytes = try row.optionalBytes("empty")
                let attempts: [(String, () throws -> Any?)] = [
                    ("invalid UTF-8 blob as text", { try row.optionalString("bad") }),
                    ("integer as text", { try row.optionalString("i") }),
                    ("text as integer", { try row.optionalInteger("t") }),
                    ("text as real", { try row.optionalReal("t") }),
                    ("text as flag", { try row.optionalFlag("t") }),
                    ("integer as bytes", { try row.optionalBytes("i") }),
                ]
                for (name, attempt) in attempts {
                    do { _ = try attempt() } catch let error as StorageError {
                        if case .invalid = error { c.refused.append(name) }
                    }
                }
                #expect(try cursor.next() == nil)
                return c
            }
        }
        #expect(read == Conversions(
            text: "a", blobText: "é", missing: nil, null: nil, mixedCase: "A",
            integer: 3, integerFromReal: 2, duplicate: 1, realFromInteger: 3, real: 2.5,
            flagZero: false, flagNonzero: true, flagReal: true, blobBytes: [0xFF], textBytes: [0x61], emptyBytes: [],
            refused: [
                "invalid UTF-8 blob as text", "integer as text", "text as integer", "text as real", "text as flag",
                "integer as bytes",
            ]
        ))
    }

    @Test func stepsEveryRowAndResetsAnAbandonedStatement() throws {
        let (values, busyAfter) = try Self.withDatabase { database in
            try database.read { db -> ([Int64], Int32) in
                let sql = "SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3"
                var values: [Int64] = []
                let all = try SQLiteRecordCursor(db, sql: sql, arguments: [])
                while let row = try all.next() { values.append(try row.optionalInteger("v") ?? -1) }
                // Abandoned after its first row, as `fetchOne` does.
                do {
                    let first = try SQLiteRecordCursor(db, sql: sql, arguments: [])
                    _ = try first.next()
                }
                return (values, sqlite3_stmt_busy(try db.cachedStatement(sql: sql).sqliteStatement))
            }
        }
        #expect(values == [1, 2, 3])
        let (first, none, null) = try Self.withDatabase { database in
            try database.read { db in
                (try SQLiteRecordCursor.firstInteger(db, sql: "SELECT 7, 8 UNION ALL SELECT 9, 10", arguments: []),
                 try SQLiteRecordCursor.firstInteger(db, sql: "SELECT 1 WHERE 0", arguments: []),
                 try SQLiteRecordCursor.firstInteger(db, sql: "SELECT MIN(x) FROM (SELECT 1 AS x WHERE 0)", arguments: []))
            }
        }
        #expect(first == 7 && none == nil && null == nil)
        #expect(busyAfter == 0, "the abandoned cursor left its statement mid-step, holding a read open")
    }

    /// Records read through the cursor equal what was written, columns of every kind.
    @Test func anIssueReadsBackAsWritten() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Rows", owner: "alice")
            let alice = try await server.client("alice")
            let created = try await alice.expect(201, "POST", "/api/issues", object: [
                "workspace_id": .string(workspace), "title": .string("Décor ✓"), "description": .string("d"),
                "priority": .string("high"), "acceptance_criteria": .array([.string("one"), .string("two")]),
                "due_date": .string("2026-12-24T00:00:00.000Z"), "position": .double(2.5),
            ])
            let id = try #require(created["id"]?.stringValue)
            let listed = try await alice.expect(200, "GET", "/api/issues?workspace_id=\(workspace)")
            let one = try await alice.expect(200, "GET", "/api/issues/\(id)")
            #expect(listed.arrayValue?.first == created)
            #expect(one == created)
            #expect(one["title"] == .string("Décor ✓"))
            #expect(one["acceptance_criteria"] == .array([.string("one"), .string("two")]))
            #expect(one["position"] == .double(2.5))
        }
    }

    /// `SQLiteWrite` binds values by position as GRDB would, refuses a wrong count, and a
    /// statement that failed (here a duplicate key) leaves nothing behind that the next
    /// run of the same SQL could pick up.
    @Test func writesBindByPositionAndSurviveAFailedStep() throws {
        struct Stored: Sendable, Equatable { var rows: [String]; var wrongCount: Bool; var duplicate: Bool }
        let stored = try Self.withDatabase { database in
            try database.write { db -> Stored in
                try db.execute(sql: "CREATE TABLE w (k TEXT PRIMARY KEY, i INTEGER, r REAL, b BLOB, n TEXT)")
                let sql = "INSERT INTO w (k, i, r, b, n) VALUES (?, ?, ?, ?, ?)"
                try SQLiteWrite.execute(db, sql: sql, ["é\u{1F600}".databaseValue, Int64.max.databaseValue, 2.5.databaseValue, Data([0, 255]).databaseValue, .null])
                var duplicate = false
                do {
                    try SQLiteWrite.execute(db, sql: sql, ["é\u{1F600}".databaseValue, 1.databaseValue, 0.0.databaseValue, Data().databaseValue, .null])
                } catch {
                    duplicate = true
                }
                var wrongCount = false
                do { try SQLiteWrite.execute(db, sql: sql, ["x".databaseValue]) } catch StorageError.invalid { wrongCount = true }
                try SQLiteWrite.execute(db, sql: sql, ["b".databaseValue, (-1).databaseValue, DatabaseValue.null, DatabaseValue.null, "n".databaseValue])
                try SQLiteWrite.execute(db, sql: "UPDATE w SET i = ? WHERE k = ?", [7.databaseValue, "b".databaseValue])
                let rows = try String.fetchAll(db, sql: "SELECT k || '|' || quote(i) || '|' || quote(r) || '|' || quote(b) || '|' || quote(n) FROM w ORDER BY k")
                return Stored(rows: rows, wrongCount: wrongCount, duplicate: duplicate)
            }
        }
        #expect(stored.duplicate)
        #expect(stored.wrongCount)
        #expect(stored.rows == ["b|7|NULL|NULL|'n'", "é\u{1F600}|9223372036854775807|2.5|X'00FF'|NULL"])
    }

    /// Reads in table order take a shortcut past the name lookup; reads out of order, in
    /// another case, or of a repeated name still answer what the lookup answers (the
    /// leftmost column of that name).
    @Test func readsInAnyOrderFindTheLeftmostColumnOfTheirName() throws {
        let read = try Self.withDatabase { database in
            try database.read { db -> [Int64?] in
                let cursor = try SQLiteRecordCursor(db, sql: "SELECT 1 AS a, 2 AS dup, 3 AS dup, 4 AS b, 5 AS Mixed", arguments: [])
                let row = try #require(try cursor.next())
                return [
                    try row.optionalInteger("a"), try row.optionalInteger("dup"), try row.optionalInteger("dup"),
                    try row.optionalInteger("b"), try row.optionalInteger("mixed"), try row.optionalInteger("a"),
                    try row.optionalInteger("b"), try row.optionalInteger("none"), try row.optionalInteger("dup"),
                ]
            }
        }
        #expect(read == [1, 2, 2, 4, 5, 1, 4, nil, 2])
    }
}
