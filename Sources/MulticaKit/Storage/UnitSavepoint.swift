import GRDB

/// One unit's savepoint inside a group transaction, through statements prepared once per
/// connection. GRDB's `Database.inSavepoint` parses `SAVEPOINT`, `RELEASE` and
/// `ROLLBACK TO` anew on every call: that was 7% of the server's CPU under pipelined
/// socket publishing (one unit per publish frame), more than the unit's own statements.
///
/// Threading: call it on the writer's connection, inside its open transaction.
enum UnitSavepoint {
    /// Runs `attempt` inside a savepoint, released when the outcome is committed and rolled
    /// back (then released) when it failed.
    ///
    /// Throws when the savepoint cannot be taken, released or rolled back to: after a
    /// failure that aborted the whole transaction (disk full, I/O error) there is no
    /// savepoint left, so the group cannot go on and fails as a whole with the unit's
    /// error, as it did with `inSavepoint`.
    static func run(_ db: Database, _ attempt: () -> UnitOutcome) throws -> UnitOutcome {
        try db.cachedStatement(sql: "SAVEPOINT unit").execute()
        let outcome = attempt()
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
        return outcome
    }
}
