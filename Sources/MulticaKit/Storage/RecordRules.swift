import Foundation

// What every backend's unit of work does to a record besides SQL: the checks a draft
// or a change must pass, the record a draft becomes, and the revision a change makes of
// the stored row (kept fields, `updated_at`, `version + 1`). SQLite and PostgreSQL call
// these so that their rows and errors are identical.

enum RecordRules {
    static func checkWorkspace(name: String, slug: String, ownerUserID: String) throws {
        guard !name.isEmpty, !slug.isEmpty else { throw StorageError.invalid("workspace name and slug must not be empty") }
        guard !ownerUserID.isEmpty else { throw StorageError.invalid("owner user id must not be empty") }
    }

    static func checkUserID(_ id: String) throws {
        guard !id.isEmpty else { throw StorageError.invalid("user id must not be empty") }
    }

    static func checkIssue(title: String, assigneeType: AssigneeType?, assigneeID: String?) throws {
        guard !title.isEmpty else { throw StorageError.invalid("issue title must not be empty") }
        guard (assigneeType == nil) == (assigneeID == nil) else {
            throw StorageError.invalid("assignee_type and assignee_id go together")
        }
    }

    static func checkComment(content: String) throws {
        guard !content.isEmpty else { throw StorageError.invalid("comment content must not be empty") }
    }

    static func checkAgent(name: String, maxConcurrentTasks: Int) throws {
        guard !name.isEmpty else { throw StorageError.invalid("agent name must not be empty") }
        guard maxConcurrentTasks >= 1 else { throw StorageError.invalid("max_concurrent_tasks must be at least 1") }
    }

    static func checkTaskPriority(_ priority: Int) throws {
        guard (0...4).contains(priority) else { throw StorageError.invalid("task priority must be 0…4") }
    }
}

extension Workspace {
    init(name: String, slug: String, description: String?, at now: Date) {
        self.init(
            id: Identifier.make("ws"), name: name, slug: slug, description: description, settings: [:],
            createdAt: now, updatedAt: now
        )
    }

    /// `change` applied to this stored row: the slug and creation time stay.
    func revised(by change: Workspace) throws -> Workspace {
        guard !change.name.isEmpty else { throw StorageError.invalid("workspace name must not be empty") }
        var updated = change
        updated.slug = slug
        updated.createdAt = createdAt
        updated.updatedAt = StorageClock.now()
        updated.version = version + 1
        return updated
    }
}

extension Member {
    init(workspace: String, userID: String, role: MemberRole, at now: Date) {
        self.init(
            id: Identifier.make("mem"), workspaceID: workspace, userID: userID, role: role, createdAt: now,
            name: nil, email: nil
        )
    }
}

extension Issue {
    init(draft: NewIssue, position: Double, at now: Date) {
        self.init(
            id: Identifier.make("iss"), workspaceID: draft.workspaceID, title: draft.title,
            description: draft.description, status: draft.status, priority: draft.priority,
            assigneeType: draft.assigneeType, assigneeID: draft.assigneeID, creatorType: draft.creatorType,
            creatorID: draft.creatorID, parentIssueID: draft.parentIssueID,
            acceptanceCriteria: draft.acceptanceCriteria, contextRefs: draft.contextRefs, position: position,
            dueDate: draft.dueDate.map(StorageClock.truncate), createdAt: now, updatedAt: now
        )
    }

    /// `change` applied to this stored row: the workspace and creation time stay.
    func revised(by change: Issue) throws -> Issue {
        try RecordRules.checkIssue(title: change.title, assigneeType: change.assigneeType, assigneeID: change.assigneeID)
        var updated = change
        updated.workspaceID = workspaceID
        updated.createdAt = createdAt
        updated.dueDate = change.dueDate.map(StorageClock.truncate)
        updated.updatedAt = StorageClock.now()
        updated.version = version + 1
        return updated
    }
}

extension Comment {
    init(draft: NewComment, at now: Date) {
        self.init(
            id: Identifier.make("cmt"), issueID: draft.issueID, authorType: draft.authorType,
            authorID: draft.authorID, content: draft.content, type: draft.type, createdAt: now, updatedAt: now
        )
    }

    /// Only the content changes.
    func revised(by change: Comment) throws -> Comment {
        try RecordRules.checkComment(content: change.content)
        var updated = self
        updated.content = change.content
        updated.updatedAt = StorageClock.now()
        updated.version += 1
        return updated
    }
}

extension Agent {
    init(draft: NewAgent, at now: Date) {
        self.init(
            id: Identifier.make("agt"), workspaceID: draft.workspaceID, name: draft.name,
            description: draft.description, avatarURL: draft.avatarURL, runtimeMode: draft.runtimeMode,
            visibility: draft.visibility, status: draft.status, maxConcurrentTasks: draft.maxConcurrentTasks,
            ownerID: draft.ownerID, skills: draft.skills, tools: draft.tools, triggers: draft.triggers,
            createdAt: now, updatedAt: now
        )
    }

    /// `change` applied to this stored row: the workspace and creation time stay.
    func revised(by change: Agent) throws -> Agent {
        try RecordRules.checkAgent(name: change.name, maxConcurrentTasks: change.maxConcurrentTasks)
        var updated = change
        updated.workspaceID = workspaceID
        updated.createdAt = createdAt
        updated.updatedAt = StorageClock.now()
        updated.version = version + 1
        return updated
    }
}

extension InboxItem {
    init(draft: NewInboxItem, at now: Date) {
        self.init(
            id: Identifier.make("inb"), workspaceID: draft.workspaceID, recipientType: draft.recipientType,
            recipientID: draft.recipientID, type: draft.type, severity: draft.severity, issueID: draft.issueID,
            title: draft.title, body: draft.body, read: false, archived: false, createdAt: now
        )
    }
}

extension AgentTask {
    init(workspace: String, agentID: String, issueID: String, priority: Int, at now: Date) {
        self.init(
            id: Identifier.make("task"), workspaceID: workspace, agentID: agentID, issueID: issueID, status: .queued,
            priority: priority, createdAt: now, dispatchedAt: nil, startedAt: nil, completedAt: nil,
            result: nil, error: nil
        )
    }

    /// `change`'s status, timestamps, result and error on this stored row.
    func revised(by change: AgentTask) -> AgentTask {
        var updated = change
        updated.workspaceID = workspaceID
        updated.agentID = agentID
        updated.issueID = issueID
        updated.createdAt = createdAt
        return updated
    }
}
