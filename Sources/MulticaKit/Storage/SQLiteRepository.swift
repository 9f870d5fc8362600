import Foundation
import GRDB

/// The SQLite backend: the async reads of every repository protocol (short reads, run
/// inline on the caller's thread with a connection of GRDB's reader pool:
/// `SQLiteDatabase.readInline`) and the unit-of-work runner (on its writer).
public final class SQLiteRepository: Repository, TransactionalBackend {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func isReachable() async -> Bool { await database.isReachable() }

    // MARK: - Units of work

    /// Runs `units` in one `BEGIN IMMEDIATE` transaction, each in its own savepoint: a
    /// unit that throws (or whose events cannot be appended) is rolled back to its
    /// savepoint and reported failed, and the next unit goes on. Throws when the
    /// transaction itself cannot begin or commit; then nothing of the group is stored.
    ///
    /// A group of one unit needs no savepoint: when it fails, the whole transaction is
    /// rolled back, which undoes exactly that unit.
    public func run(_ units: [UnitBody]) throws -> [UnitOutcome] {
        try database.writeWithoutTransaction { db in
            var outcomes: [UnitOutcome] = []
            outcomes.reserveCapacity(units.count)
            try db.inTransaction(.immediate) {
                outcomes.removeAll(keepingCapacity: true)
                if units.count == 1 {
                    let outcome = Self.attempt(units[0], db)
                    outcomes.append(outcome)
                    if case .failed = outcome { return .rollback }
                    return .commit
                }
                let memberships = GroupMemberships()
                let heads = GroupEventHeads()
                for body in units {
                    let savepoint = UnitSavepoint(db)
                    let outcome = Self.attempt(body, db, memberships: memberships, heads: heads, savepoint: savepoint)
                    try savepoint.finish(outcome)
                    switch outcome {
                    case .committed(_, let events):
                        for event in events { heads.record(event.seq, of: event.workspaceID) }
                    case .failed:
                        memberships.forgetAll()  // what it added is rolled back
                    }
                    outcomes.append(outcome)
                }
                try SQLiteEventLog.writeHeads(heads, in: db)
                return .commit
            }
            return outcomes
        }
    }

    private static func attempt(_ body: UnitBody, _ db: Database, memberships: GroupMemberships? = nil,
                                heads: GroupEventHeads? = nil, savepoint: UnitSavepoint? = nil) -> UnitOutcome {
        let unit = SQLiteUnitOfWork(db, memberships: memberships, heads: heads, savepoint: savepoint)
        do {
            let value = try body(unit)
            return .committed(value: value, events: try unit.flushEvents())
        } catch {
            return .failed(error)
        }
    }

    // MARK: - Users

    @discardableResult
    public func upsertUser(id: String, email: String?, name: String?) async throws -> User {
        guard !id.isEmpty else { throw StorageError.invalid("user id must not be empty") }
        return try await database.write { db in try Self.upsertUser(db, id: id, email: email, name: name) }
    }

    public func user(id: String) async throws -> User? {
        try database.readInline { db in try User.fetchOne(db, id: id) }
    }

    static func upsertUser(_ db: Database, id: String, email: String?, name: String?) throws -> User {
        try db.execute(
            sql: """
                INSERT INTO user (id, email, name, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET email = coalesce(excluded.email, email), name = coalesce(excluded.name, name)
                """,
            arguments: [id, email, name, Timestamp.format(StorageClock.now())]
        )
        return try User.require(db, id: id)
    }

    static func ensureUser(_ db: Database, id: String) throws {
        try db.execute(
            sql: "INSERT INTO user (id, created_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING",
            arguments: [id, Timestamp.format(StorageClock.now())]
        )
    }

    // MARK: - Reads

    public func workspaces(forUser user: String) async throws -> [Workspace] {
        try database.readInline { db in try SQLiteReads.workspaces(db, forUser: user) }
    }

    public func allWorkspaces() async throws -> [Workspace] {
        try database.readInline { db in try Workspace.fetchAll(db, sql: "SELECT * FROM workspace ORDER BY created_at, id") }
    }

    public func workspace(id: String) async throws -> Workspace? {
        try database.readInline { db in try Workspace.fetchOne(db, id: id) }
    }

    public func members(workspace: String) async throws -> [Member] {
        try database.readInline { db in try SQLiteReads.members(db, workspace: workspace) }
    }

    public func member(id: String) async throws -> Member? {
        try database.readInline { db in try Member.fetchOne(db, id: id) }
    }

    public func membership(workspace: String, user: String) async throws -> Member? {
        try database.readInline { db in try SQLiteReads.membership(db, workspace: workspace, user: user) }
    }

    public func issue(id: String) async throws -> Issue? {
        try database.readInline { db in try Issue.fetchOne(db, id: id) }
    }

    public func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) async throws -> [Issue] {
        try database.readInline { db in
            try SQLiteReads.issues(db, workspace: workspace, status: status, assignee: assignee, limit: limit)
        }
    }

    public func comment(id: String) async throws -> Comment? {
        try database.readInline { db in try Comment.fetchOne(db, id: id) }
    }

    public func comments(issue: String) async throws -> [Comment] {
        try database.readInline { db in try SQLiteReads.comments(db, issue: issue) }
    }

    public func agent(id: String) async throws -> Agent? {
        try database.readInline { db in try Agent.fetchOne(db, id: id) }
    }

    public func agents(workspace: String) async throws -> [Agent] {
        try database.readInline { db in try SQLiteReads.agents(db, workspace: workspace) }
    }

    public func inboxItems(workspace: String, recipient: String) async throws -> [InboxItem] {
        try database.readInline { db in try SQLiteReads.inboxItems(db, workspace: workspace, recipient: recipient) }
    }

    public func inboxItem(id: String) async throws -> InboxItem? {
        try database.readInline { db in try InboxItem.fetchOne(db, id: id) }
    }

    public func task(id: String) async throws -> AgentTask? {
        try database.readInline { db in try AgentTask.fetchOne(db, id: id) }
    }

    public func tasks(issueID: String) async throws -> [AgentTask] {
        try database.readInline { db in try SQLiteReads.tasks(db, issueID: issueID) }
    }
}
