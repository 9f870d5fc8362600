import Foundation
import GRDB

/// A unit of work on SQLite: every method runs on the writer connection, inside the
/// group's transaction and the unit's own savepoint (see `SQLiteRepository.run`).
///
/// Threading: lives on the publisher's writer thread for the length of one closure.
/// Failure: GRDB errors are translated into `StorageError` before they reach the closure.
final class SQLiteUnitOfWork: UnitOfWork {
    private let db: Database
    private(set) var pending: [NewEvent] = []

    init(_ db: Database) {
        self.db = db
    }

    private func sql<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw StorageError.translate(error) }
    }

    // MARK: - Workspaces and members

    func workspace(id: String) throws -> Workspace? {
        try sql { try Workspace.fetchOne(db, id: id) }
    }

    func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) throws -> (Workspace, Member) {
        guard !name.isEmpty, !slug.isEmpty else { throw StorageError.invalid("workspace name and slug must not be empty") }
        guard !ownerUserID.isEmpty else { throw StorageError.invalid("owner user id must not be empty") }
        return try sql {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE slug = ?", arguments: [slug]) == true {
                throw StorageError.conflict("slug '\(slug)' is taken")
            }
            let now = StorageClock.now()
            let workspace = Workspace(
                id: Identifier.make("ws"), name: name, slug: slug, description: description, settings: [:],
                createdAt: now, updatedAt: now
            )
            try Workspace.insert(workspace, db)
            let member = try insertMember(workspace: workspace.id, userID: ownerUserID, role: .owner, now: now)
            return (workspace, member)
        }
    }

    func updateWorkspace(_ workspace: Workspace) throws -> Workspace {
        guard !workspace.name.isEmpty else { throw StorageError.invalid("workspace name must not be empty") }
        return try sql {
            let stored = try Workspace.require(db, id: workspace.id)
            var updated = workspace
            updated.slug = stored.slug
            updated.createdAt = stored.createdAt
            updated.updatedAt = StorageClock.now()
            updated.version = stored.version + 1
            try Workspace.update(updated, keeping: ["slug", "created_at"], db)
            return updated
        }
    }

    func deleteWorkspace(id: String) throws -> Workspace {
        try sql { try Workspace.delete(db, id: id) }
    }

    func members(workspace: String) throws -> [Member] {
        try sql { try SQLiteReads.members(db, workspace: workspace) }
    }

    func member(id: String) throws -> Member? {
        try sql { try Member.fetchOne(db, id: id) }
    }

    func membership(workspace: String, user: String) throws -> Member? {
        try sql { try SQLiteReads.membership(db, workspace: workspace, user: user) }
    }

    func addMember(workspace: String, userID: String, role: MemberRole) throws -> Member {
        guard !userID.isEmpty else { throw StorageError.invalid("user id must not be empty") }
        return try sql {
            guard try SQLiteReads.exists(db, table: "workspace", id: workspace) else {
                throw StorageError.notFound("workspace \(workspace)")
            }
            return try insertMember(workspace: workspace, userID: userID, role: role, now: StorageClock.now())
        }
    }

    func removeMember(id: String) throws -> Member {
        try sql { try Member.delete(db, id: id) }
    }

    private func insertMember(workspace: String, userID: String, role: MemberRole, now: Date) throws -> Member {
        try SQLiteRepository.ensureUser(db, id: userID)
        if try SQLiteReads.membership(db, workspace: workspace, user: userID) != nil {
            throw StorageError.conflict("user \(userID) is already a member of \(workspace)")
        }
        let member = Member(
            id: Identifier.make("mem"), workspaceID: workspace, userID: userID, role: role, createdAt: now,
            name: nil, email: nil
        )
        try Member.insert(member, db)
        return try Member.require(db, id: member.id)
    }

    // MARK: - Issues and comments

    func issue(id: String) throws -> Issue? {
        try sql { try Issue.fetchOne(db, id: id) }
    }

    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) throws -> [Issue] {
        try sql { try SQLiteReads.issues(db, workspace: workspace, status: status, assignee: assignee, limit: limit) }
    }

    func createIssue(_ draft: NewIssue) throws -> Issue {
        guard !draft.title.isEmpty else { throw StorageError.invalid("issue title must not be empty") }
        guard (draft.assigneeType == nil) == (draft.assigneeID == nil) else {
            throw StorageError.invalid("assignee_type and assignee_id go together")
        }
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
            let now = StorageClock.now()
            let issue = Issue(
                id: Identifier.make("iss"), workspaceID: draft.workspaceID, title: draft.title,
                description: draft.description, status: draft.status, priority: draft.priority,
                assigneeType: draft.assigneeType, assigneeID: draft.assigneeID, creatorType: draft.creatorType,
                creatorID: draft.creatorID, parentIssueID: draft.parentIssueID,
                acceptanceCriteria: draft.acceptanceCriteria, contextRefs: draft.contextRefs, position: position,
                dueDate: draft.dueDate.map(StorageClock.truncate), createdAt: now, updatedAt: now
            )
            try Issue.insert(issue, db)
            return issue
        }
    }

    func updateIssue(_ issue: Issue) throws -> Issue {
        guard !issue.title.isEmpty else { throw StorageError.invalid("issue title must not be empty") }
        guard (issue.assigneeType == nil) == (issue.assigneeID == nil) else {
            throw StorageError.invalid("assignee_type and assignee_id go together")
        }
        return try sql {
            let stored = try Issue.require(db, id: issue.id)
            var updated = issue
            updated.workspaceID = stored.workspaceID
            updated.createdAt = stored.createdAt
            updated.dueDate = issue.dueDate.map(StorageClock.truncate)
            updated.updatedAt = StorageClock.now()
            updated.version = stored.version + 1
            try Issue.update(updated, keeping: ["workspace_id", "created_at"], db)
            return updated
        }
    }

    func deleteIssue(id: String) throws -> Issue {
        try sql { try Issue.delete(db, id: id) }
    }

    func comment(id: String) throws -> Comment? {
        try sql { try Comment.fetchOne(db, id: id) }
    }

    func createComment(_ draft: NewComment) throws -> Comment {
        guard !draft.content.isEmpty else { throw StorageError.invalid("comment content must not be empty") }
        return try sql {
            guard try SQLiteReads.exists(db, table: "issue", id: draft.issueID) else {
                throw StorageError.notFound("issue \(draft.issueID)")
            }
            let now = StorageClock.now()
            let comment = Comment(
                id: Identifier.make("cmt"), issueID: draft.issueID, authorType: draft.authorType,
                authorID: draft.authorID, content: draft.content, type: draft.type, createdAt: now, updatedAt: now
            )
            try Comment.insert(comment, db)
            return comment
        }
    }

    func updateComment(_ comment: Comment) throws -> Comment {
        guard !comment.content.isEmpty else { throw StorageError.invalid("comment content must not be empty") }
        return try sql {
            var stored = try Comment.require(db, id: comment.id)
            stored.content = comment.content
            stored.updatedAt = StorageClock.now()
            stored.version += 1
            try Comment.update(stored, db)
            return stored
        }
    }

    func deleteComment(id: String) throws -> Comment {
        try sql { try Comment.delete(db, id: id) }
    }

    // MARK: - Agents, inbox, tasks

    func agent(id: String) throws -> Agent? {
        try sql { try Agent.fetchOne(db, id: id) }
    }

    func createAgent(_ draft: NewAgent) throws -> Agent {
        guard !draft.name.isEmpty else { throw StorageError.invalid("agent name must not be empty") }
        guard draft.maxConcurrentTasks >= 1 else { throw StorageError.invalid("max_concurrent_tasks must be at least 1") }
        return try sql {
            guard try SQLiteReads.exists(db, table: "workspace", id: draft.workspaceID) else {
                throw StorageError.notFound("workspace \(draft.workspaceID)")
            }
            let now = StorageClock.now()
            let agent = Agent(
                id: Identifier.make("agt"), workspaceID: draft.workspaceID, name: draft.name,
                description: draft.description, avatarURL: draft.avatarURL, runtimeMode: draft.runtimeMode,
                visibility: draft.visibility, status: draft.status, maxConcurrentTasks: draft.maxConcurrentTasks,
                ownerID: draft.ownerID, skills: draft.skills, tools: draft.tools, triggers: draft.triggers,
                createdAt: now, updatedAt: now
            )
            try Agent.insert(agent, db)
            return agent
        }
    }

    func updateAgent(_ agent: Agent) throws -> Agent {
        guard !agent.name.isEmpty else { throw StorageError.invalid("agent name must not be empty") }
        guard agent.maxConcurrentTasks >= 1 else { throw StorageError.invalid("max_concurrent_tasks must be at least 1") }
        return try sql {
            let stored = try Agent.require(db, id: agent.id)
            var updated = agent
            updated.workspaceID = stored.workspaceID
            updated.createdAt = stored.createdAt
            updated.updatedAt = StorageClock.now()
            updated.version = stored.version + 1
            try Agent.update(updated, keeping: ["workspace_id", "created_at"], db)
            return updated
        }
    }

    func deleteAgent(id: String) throws -> Agent {
        try sql { try Agent.delete(db, id: id) }
    }

    func inboxItem(id: String) throws -> InboxItem? {
        try sql { try InboxItem.fetchOne(db, id: id) }
    }

    func createInboxItem(_ draft: NewInboxItem) throws -> InboxItem {
        let item = InboxItem(
            id: Identifier.make("inb"), workspaceID: draft.workspaceID, recipientType: draft.recipientType,
            recipientID: draft.recipientID, type: draft.type, severity: draft.severity, issueID: draft.issueID,
            title: draft.title, body: draft.body, read: false, archived: false, createdAt: StorageClock.now()
        )
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
        try sql { try AgentTask.fetchOne(db, id: id) }
    }

    func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) throws -> AgentTask {
        guard (0...4).contains(priority) else { throw StorageError.invalid("task priority must be 0…4") }
        let task = AgentTask(
            id: Identifier.make("task"), workspaceID: workspace, agentID: agentID, issueID: issueID, status: .queued,
            priority: priority, createdAt: StorageClock.now(), dispatchedAt: nil, startedAt: nil, completedAt: nil,
            result: nil, error: nil
        )
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
            let stored = try AgentTask.require(db, id: task.id)
            var updated = task
            updated.workspaceID = stored.workspaceID
            updated.agentID = stored.agentID
            updated.issueID = stored.issueID
            updated.createdAt = stored.createdAt
            try AgentTask.update(updated, db)
            return updated
        }
    }

    func openTasks(issueID: String) throws -> [AgentTask] {
        try sql { try SQLiteReads.openTasks(db, issueID: issueID) }
    }

    func activeTaskCount(agentID: String) throws -> Int {
        try sql { try SQLiteReads.activeTaskCount(db, agentID: agentID) }
    }

    // MARK: - Events

    func append(_ event: NewEvent) {
        pending.append(event)
    }

    /// Writes the unit's events with their `seq` (still inside its savepoint).
    func flushEvents() throws -> [EventEnvelope] {
        guard !pending.isEmpty else { return [] }
        do {
            return try SQLiteEventLog.append(pending, in: db)
        } catch {
            throw EventAppendFailed(underlying: StorageError.translate(error))
        }
    }
}
