import Foundation
import GRDB

/// A unit of work on SQLite: every method runs on the writer connection, inside the
/// group's transaction and the unit's own savepoint (see `SQLiteRepository.run`).
///
/// Threading: lives on the publisher's writer thread for the length of one closure.
/// Failure: GRDB errors are translated into `StorageError` before they reach the closure.
final class SQLiteUnitOfWork: UnitOfWork {
    private let db: Database
    private let memberships: GroupMemberships?
    private let heads: GroupEventHeads?
    private let savepoint: UnitSavepoint?
    private(set) var pending: [NewEvent] = []

    /// `memberships` and `heads` are shared by the units of one group transaction, and
    /// `savepoint` is the unit's own in it; all nil for a group of one.
    init(_ db: Database, memberships: GroupMemberships? = nil, heads: GroupEventHeads? = nil,
         savepoint: UnitSavepoint? = nil) {
        self.db = db
        self.memberships = memberships
        self.heads = heads
        self.savepoint = savepoint
    }

    /// Runs statements that may change rows: the unit's savepoint is taken first.
    private func sql<T>(_ body: () throws -> T) throws -> T {
        do {
            try savepoint?.open()
            return try body()
        } catch {
            throw StorageError.translate(error)
        }
    }

    /// Runs statements that only read, which need no savepoint. Only for methods that
    /// cannot write: a write here would make the group fail (see `UnitSavepoint`).
    private func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw StorageError.translate(error) }
    }

    // MARK: - Workspaces and members

    func workspace(id: String) throws -> Workspace? {
        try read { try Workspace.fetchOne(db, id: id) }
    }

    func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) throws -> (Workspace, Member) {
        try RecordRules.checkWorkspace(name: name, slug: slug, ownerUserID: ownerUserID)
        return try sql {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE slug = ?", arguments: [slug]) == true {
                throw StorageError.conflict("slug '\(slug)' is taken")
            }
            let now = StorageClock.now()
            let workspace = Workspace(name: name, slug: slug, description: description, at: now)
            try Workspace.insert(workspace, db)
            let member = try insertMember(workspace: workspace.id, userID: ownerUserID, role: .owner, now: now)
            return (workspace, member)
        }
    }

    func updateWorkspace(_ workspace: Workspace) throws -> Workspace {
        try sql {
            let updated = try Workspace.require(db, id: workspace.id).revised(by: workspace)
            try Workspace.update(updated, keeping: ["slug", "created_at"], db)
            return updated
        }
    }

    func deleteWorkspace(id: String) throws -> Workspace {
        memberships?.forgetAll()  // its members go with it (ON DELETE CASCADE)
        return try sql { try Workspace.delete(db, id: id) }
    }

    func members(workspace: String) throws -> [Member] {
        try read { try SQLiteReads.members(db, workspace: workspace) }
    }

    func member(id: String) throws -> Member? {
        try read { try Member.fetchOne(db, id: id) }
    }

    func membership(workspace: String, user: String) throws -> Member? {
        try read { try SQLiteReads.membership(db, workspace: workspace, user: user) }
    }

    /// One indexed lookup per workspace: in-process, so no round trip to save, and the
    /// write transaction already excludes every other writer.
    func memberships(user: String, workspaces: [String]) throws -> [String: Member] {
        var found: [String: Member] = [:]
        for workspace in Set(workspaces) {
            if let member = try membership(workspace: workspace, user: user) { found[workspace] = member }
        }
        return found
    }

    func isMember(user: String, ofAll workspaces: [String]) throws -> Bool {
        try read {
            for workspace in workspaces.count == 1 ? workspaces : Array(Set(workspaces))
            where memberships?.contains(user: user, workspace: workspace) != true {
                guard try SQLiteReads.isMember(db, workspace: workspace, user: user) else { return false }
                memberships?.insert(user: user, workspace: workspace)
            }
            return true
        }
    }

    func addMember(workspace: String, userID: String, role: MemberRole) throws -> Member {
        try RecordRules.checkUserID(userID)
        return try sql {
            guard try SQLiteReads.exists(db, table: "workspace", id: workspace) else {
                throw StorageError.notFound("workspace \(workspace)")
            }
            return try insertMember(workspace: workspace, userID: userID, role: role, now: StorageClock.now())
        }
    }

    func removeMember(id: String) throws -> Member {
        memberships?.forgetAll()
        return try sql { try Member.delete(db, id: id) }
    }

    private func insertMember(workspace: String, userID: String, role: MemberRole, now: Date) throws -> Member {
        try SQLiteRepository.ensureUser(db, id: userID)
        if try SQLiteReads.membership(db, workspace: workspace, user: userID) != nil {
            throw StorageError.conflict("user \(userID) is already a member of \(workspace)")
        }
        let member = Member(workspace: workspace, userID: userID, role: role, at: now)
        try Member.insert(member, db)
        return try Member.require(db, id: member.id)
    }

    // MARK: - Issues and comments

    func issue(id: String) throws -> Issue? {
        try read { try Issue.fetchOne(db, id: id) }
    }

    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) throws -> [Issue] {
        try read { try SQLiteReads.issues(db, workspace: workspace, status: status, assignee: assignee, limit: limit) }
    }

    func createIssue(_ draft: NewIssue) throws -> Issue {
        try RecordRules.checkIssue(title: draft.title, assigneeType: draft.assigneeType, assigneeID: draft.assigneeID)
        return try sql {
            guard try SQLiteReads.exists(db, table: "workspace", id: draft.workspaceID) else {
                throw StorageError.notFound("workspace \(draft.workspaceID)")
            }
            let position: Double
            if let given = draft.position {
                position = given
            } else {
                let last = try Double.fetchOne(
                    db.cachedStatement(sql: "SELECT MAX(position) FROM issue WHERE workspace_id = ?"), arguments: [draft.workspaceID]
                )
                position = (last ?? 0) + 1
            }
            let issue = Issue(draft: draft, position: position, at: StorageClock.now())
            try Issue.insert(issue, db)
            return issue
        }
    }

    func updateIssue(_ issue: Issue) throws -> Issue {
        try sql {
            let stored = try Issue.require(db, id: issue.id)
            let updated = try stored.revised(by: issue)
            try Issue.update(updated, keeping: Self.issueColumnsKept(updated, stored), db)
            return updated
        }
    }

    func updateIssue(_ issue: Issue, stored: Issue) throws -> Issue {
        try sql {
            let updated = try stored.revised(by: issue)
            // Guarded by the version read: a stale `stored` updates nothing, and then the
            // row is read again as `updateIssue(_:)` does.
            guard try Issue.update(updated, keeping: Self.issueColumnsKept(updated, stored), ifVersion: stored.version, db) else {
                return try updateIssue(issue)
            }
            return updated
        }
    }

    /// The issue columns an update leaves out: never `workspace_id` and `created_at`, and
    /// the indexed ones too while they keep their stored value. SQLite rewrites the index
    /// entries of every column an UPDATE sets, even to the same value: three more dirty
    /// pages in each commit's WAL for a change of title. Either way the row ends the same,
    /// and there are two statements to cache, not one per combination of fields.
    private static func issueColumnsKept(_ updated: Issue, _ stored: Issue) -> Set<String> {
        let indexedUnchanged = updated.status == stored.status && updated.assigneeID == stored.assigneeID
            && updated.parentIssueID == stored.parentIssueID
        return indexedUnchanged ? issueKeptWithIndexes : issueKept
    }

    private static let issueKept: Set<String> = ["workspace_id", "created_at"]
    /// `issueKept` and the columns of the issue indexes (`StorageSchema`) but `workspace_id`.
    private static let issueKeptWithIndexes = issueKept.union(["status", "assignee_id", "parent_issue_id"])

    func deleteIssue(id: String) throws -> Issue {
        try sql { try Issue.delete(db, id: id) }
    }

    func comment(id: String) throws -> Comment? {
        try read { try Comment.fetchOne(db, id: id) }
    }

    func createComment(_ draft: NewComment) throws -> Comment {
        try RecordRules.checkComment(content: draft.content)
        return try sql {
            guard try SQLiteReads.exists(db, table: "issue", id: draft.issueID) else {
                throw StorageError.notFound("issue \(draft.issueID)")
            }
            let comment = Comment(draft: draft, at: StorageClock.now())
            try Comment.insert(comment, db)
            return comment
        }
    }

    func updateComment(_ comment: Comment) throws -> Comment {
        try sql {
            let updated = try Comment.require(db, id: comment.id).revised(by: comment)
            try Comment.update(updated, db)
            return updated
        }
    }

    func deleteComment(id: String) throws -> Comment {
        try sql { try Comment.delete(db, id: id) }
    }

    // MARK: - Agents, inbox, tasks

    func agent(id: String) throws -> Agent? {
        try read { try Agent.fetchOne(db, id: id) }
    }

    func createAgent(_ draft: NewAgent) throws -> Agent {
        try RecordRules.checkAgent(name: draft.name, maxConcurrentTasks: draft.maxConcurrentTasks)
        return try sql {
            guard try SQLiteReads.exists(db, table: "workspace", id: draft.workspaceID) else {
                throw StorageError.notFound("workspace \(draft.workspaceID)")
            }
            let agent = Agent(draft: draft, at: StorageClock.now())
            try Agent.insert(agent, db)
            return agent
        }
    }

    func updateAgent(_ agent: Agent) throws -> Agent {
        try sql {
            let updated = try Agent.require(db, id: agent.id).revised(by: agent)
            try Agent.update(updated, keeping: ["workspace_id", "created_at"], db)
            return updated
        }
    }

    func deleteAgent(id: String) throws -> Agent {
        try sql { try Agent.delete(db, id: id) }
    }

    func inboxItem(id: String) throws -> InboxItem? {
        try read { try InboxItem.fetchOne(db, id: id) }
    }

    func createInboxItem(_ draft: NewInboxItem) throws -> InboxItem {
        let item = InboxItem(draft: draft, at: StorageClock.now())
        try sql { try InboxItem.insert(item, db) }
        return item
    }

    func markInboxRead(id: String) throws -> InboxItem {
        try setInboxFlag(id: id, column: "read")
    }

    func archiveInboxItem(id: String) throws -> InboxItem {
        try setInboxFlag(id: id, column: "archived")
    }

    private func setInboxFlag(id: String, column: String) throws -> InboxItem {
        try sql {
            try db.execute(sql: "UPDATE inbox_item SET \(column) = 1 WHERE id = ?", arguments: [id])
            return try InboxItem.require(db, id: id)
        }
    }

    func task(id: String) throws -> AgentTask? {
        try read { try AgentTask.fetchOne(db, id: id) }
    }

    func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) throws -> AgentTask {
        try RecordRules.checkTaskPriority(priority)
        let task = AgentTask(workspace: workspace, agentID: agentID, issueID: issueID, priority: priority, at: StorageClock.now())
        try sql { try AgentTask.insert(task, db) }
        return task
    }

    func claimTask(agentID: String) throws -> AgentTask? {
        try sql {
            guard let limit = try Int.fetchOne(
                db, sql: "SELECT max_concurrent_tasks FROM agent WHERE id = ?", arguments: [agentID]
            ) else {
                throw StorageError.notFound("agent \(agentID)")
            }
            guard try SQLiteReads.activeTaskCount(db, agentID: agentID) < limit else { return nil }
            guard var task = try AgentTask.fetchOne(
                db,
                sql: """
                    SELECT * FROM agent_task WHERE agent_id = ? AND status = 'queued'
                    ORDER BY priority DESC, created_at, rowid LIMIT 1
                    """,
                arguments: [agentID]
            ) else { return nil }
            task.status = .dispatched
            task.dispatchedAt = StorageClock.now()
            try AgentTask.update(task, db)
            return task
        }
    }

    func updateTask(_ task: AgentTask) throws -> AgentTask {
        try sql {
            let updated = try AgentTask.require(db, id: task.id).revised(by: task)
            try AgentTask.update(updated, db)
            return updated
        }
    }

    func openTasks(issueID: String) throws -> [AgentTask] {
        try read { try SQLiteReads.openTasks(db, issueID: issueID) }
    }

    func activeTaskCount(agentID: String) throws -> Int {
        try read { try SQLiteReads.activeTaskCount(db, agentID: agentID) }
    }

    // MARK: - Events

    func append(_ event: NewEvent) {
        pending.append(event)
    }

    /// Writes the unit's events with their `seq` (inside its savepoint, which a single
    /// event's one `INSERT` does not need).
    func flushEvents() throws -> [EventEnvelope] {
        guard !pending.isEmpty else { return [] }
        do {
            if pending.count > 1 { try savepoint?.open() }
            return try SQLiteEventLog.append(pending, in: db, group: heads)
        } catch {
            throw EventAppendFailed(underlying: StorageError.translate(error))
        }
    }
}
