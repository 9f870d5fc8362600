import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The PostgreSQL backend: the async reads of every repository protocol (on the
/// store's pool) and the unit-of-work runner (on its writer connection), for any number
/// of nodes sharing one database (SPEC §4, "Backends").
public final class PostgresRepository: Repository, TransactionalBackend {
    let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public func isReachable() async -> Bool { await store.isReachable() }

    // MARK: - Units of work

    /// Runs `units` in one transaction on the writer connection, each in its own
    /// savepoint, then numbers and stores all their events in one statement per
    /// workspace, pipelined with the COMMIT (so the cursor rows are locked for one round
    /// trip). A unit that throws is rolled back to its savepoint and reported failed.
    ///
    /// Throws, storing nothing of the group, when the transaction cannot begin or
    /// commit, when the events cannot be appended, or when a unit hit a deadlock or a
    /// serialization failure with another node (40P01, 40001): those are not the unit's
    /// fault, and the publisher retries each unit alone.
    public func run(_ units: [UnitBody]) throws -> [UnitOutcome] {
        let logger = store.logger
        return try store.withWriter { connection in
            let session = PostgresSession(connection: connection, logger: logger)
            let begin = session.send("BEGIN")
            var released: [EventLoopFuture<PostgresQueryResult>] = [begin]
            var results: [(value: (any Sendable)?, error: (any Error)?, events: [NewEvent])] = []
            results.reserveCapacity(units.count)
            do {
                for body in units {
                    released.append(session.send("SAVEPOINT unit"))
                    let unit = PostgresUnitOfWork(session)
                    do {
                        let value = try body(unit)
                        released.append(session.send("RELEASE SAVEPOINT unit"))
                        results.append((value, nil, unit.pending))
                    } catch {
                        if session.sawConflict { throw error }
                        // Row locks taken inside the savepoint end with it.
                        session.forgetLockedMembers()
                        let rollback = session.send("ROLLBACK TO SAVEPOINT unit")
                        let release = session.send("RELEASE SAVEPOINT unit")
                        _ = try rollback.wait()
                        _ = try release.wait()
                        results.append((nil, error, []))
                    }
                }
                for future in released { _ = try future.wait() }
                let events = results.flatMap(\.events)
                let pending = PostgresEventLog.sendAppend(events, on: session)
                let commit = session.send("COMMIT")
                var envelopes = try pending.finish(commit: commit)[...]
                return results.map { result in
                    if let error = result.error { return .failed(error) }
                    let mine = envelopes.prefix(result.events.count)
                    envelopes = envelopes.dropFirst(result.events.count)
                    return .committed(value: result.value!, events: Array(mine))
                }
            } catch {
                _ = try? session.send("ROLLBACK").wait()
                throw error
            }
        }
    }

    // MARK: - Users

    static func ensureUser(id: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("""
            INSERT INTO "user" (id, created_at) VALUES (\(s.bind(id)), \(s.bind(Timestamp.format(StorageClock.now()))))
            ON CONFLICT (id) DO NOTHING
            """)
        return s
    }

    @discardableResult
    public func upsertUser(id: String, email: String?, name: String?) async throws -> User {
        guard !id.isEmpty else { throw StorageError.invalid("user id must not be empty") }
        var s = PostgresStatement()
        s.add("""
            INSERT INTO "user" (id, email, name, created_at)
            VALUES (\(s.bind(id)), \(s.bind(.text(email))), \(s.bind(.text(name))), \(s.bind(Timestamp.format(StorageClock.now()))))
            ON CONFLICT (id) DO UPDATE SET email = coalesce(EXCLUDED.email, "user".email),
                                           name = coalesce(EXCLUDED.name, "user".name)
            RETURNING *
            """)
        guard let user = try await records(s, as: User.self).first else { throw StorageError.notFound("user \(id)") }
        return user
    }

    public func user(id: String) async throws -> User? {
        try await records(User.selectByID(id), as: User.self).first
    }

    // MARK: - Reads

    /// Runs `statement` on the pool and maps its rows.
    func records<R: StoredRecord>(_ statement: PostgresStatement, as type: R.Type = R.self) async throws -> [R] {
        do {
            var result: [R] = []
            for try await row in try await store.client.query(statement.query) {
                result.append(try R(row: PostgresRecordRow(row)))
            }
            return result
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    public func workspaces(forUser user: String) async throws -> [Workspace] {
        try await records(PostgresReads.workspaces(forUser: user))
    }

    public func allWorkspaces() async throws -> [Workspace] {
        try await records(PostgresReads.allWorkspaces())
    }

    public func workspace(id: String) async throws -> Workspace? {
        try await records(Workspace.selectByID(id), as: Workspace.self).first
    }

    public func members(workspace: String) async throws -> [Member] {
        try await records(PostgresReads.members(workspace: workspace))
    }

    public func member(id: String) async throws -> Member? {
        try await records(Member.selectByID(id), as: Member.self).first
    }

    public func membership(workspace: String, user: String) async throws -> Member? {
        try await records(PostgresReads.membership(workspace: workspace, user: user), as: Member.self).first
    }

    public func issue(id: String) async throws -> Issue? {
        try await records(Issue.selectByID(id), as: Issue.self).first
    }

    public func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) async throws -> [Issue] {
        try await records(PostgresReads.issues(workspace: workspace, status: status, assignee: assignee, limit: limit))
    }

    public func comment(id: String) async throws -> Comment? {
        try await records(Comment.selectByID(id), as: Comment.self).first
    }

    public func comments(issue: String) async throws -> [Comment] {
        try await records(PostgresReads.comments(issue: issue))
    }

    public func agent(id: String) async throws -> Agent? {
        try await records(Agent.selectByID(id), as: Agent.self).first
    }

    public func agents(workspace: String) async throws -> [Agent] {
        try await records(PostgresReads.agents(workspace: workspace))
    }

    public func inboxItems(workspace: String, recipient: String) async throws -> [InboxItem] {
        try await records(PostgresReads.inboxItems(workspace: workspace, recipient: recipient))
    }

    public func inboxItem(id: String) async throws -> InboxItem? {
        try await records(InboxItem.selectByID(id), as: InboxItem.self).first
    }

    public func task(id: String) async throws -> AgentTask? {
        try await records(AgentTask.selectByID(id), as: AgentTask.self).first
    }

    public func tasks(issueID: String) async throws -> [AgentTask] {
        try await records(PostgresReads.tasks(issueID: issueID))
    }
}
