import GRDB

/// One unit's savepoint inside a group transaction, taken only once the unit is about to
/// write, through statements prepared once per connection.
///
/// Why lazily: under pipelined socket publishing a group holds many units that each
/// check a membership and append one event. Such a unit needs no savepoint: its reads
/// change nothing, and its one event is one `INSERT`, which SQLite applies or refuses as
/// a whole (statement rollback) without ending the transaction. `SAVEPOINT` and
/// `RELEASE` for each of them were 9% of the server's CPU at 100 sockets. Any other
/// write of the unit (`SQLiteUnitOfWork` opens it from every method that is not marked
/// as a read, and before appending two or more events) takes the savepoint first, so a
/// unit that throws after writing is rolled back alone, as before.
///
/// Why a missed write cannot break atomicity: a unit that ends without its savepoint is
/// checked against SQLite's count of changed rows. If it changed a row other than its
/// one event, or if a failure ended the whole transaction (a full disk), `finish`
/// throws and the group fails as a whole; the publisher then runs each unit alone.
///
/// Threading: the writer's connection, inside its open transaction; one unit at a time.
final class UnitSavepoint {
    private let db: Database
    private let changesAtStart: Int
    private(set) var isOpen = false

    init(_ db: Database) {
        self.db = db
        changesAtStart = db.totalChangesCount
    }

    /// Takes the savepoint, unless already taken.
    func open() throws {
        guard !isOpen else { return }
        guard db.totalChangesCount == changesAtStart else { throw Self.unguardedWrite }
        try db.cachedStatement(sql: "SAVEPOINT unit").execute()
        isOpen = true
    }

    /// Ends the unit: releases the savepoint when the outcome is committed and rolls back
    /// to it (then releases it) when it failed; without a savepoint, checks that nothing
    /// but the outcome's single event was written.
    ///
    /// Throws when the savepoint cannot be released or rolled back to, or when the check
    /// fails: after a failure that aborted the whole transaction there is nothing left to
    /// roll back to, so the group cannot go on and fails as a whole with the unit's error.
    func finish(_ outcome: UnitOutcome) throws {
        guard isOpen else {
            guard db.isInsideTransaction else {
                if case .failed(let failure) = outcome { throw failure }
                throw Self.unguardedWrite
            }
            let allowed: Int
            switch outcome {
            case .committed(_, let events): allowed = events.count
            case .failed: allowed = 0
            }
            guard allowed <= 1, db.totalChangesCount - changesAtStart == allowed else { throw Self.unguardedWrite }
            return
        }
        switch outcome {
        case .committed:
            try db.cachedStatement(sql: "RELEASE SAVEPOINT unit").execute()
        case .failed(let failure):
            do {
                try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT unit").execute()
                try db.cachedStatement(sql: "RELEASE SAVEPOINT unit").execute()
            } catch {
                throw failure  // the cause (say, the disk full), not the missing savepoint
            }
        }
    }

    private static let unguardedWrite = StorageError.unavailable("a unit of work wrote without its savepoint")
}
