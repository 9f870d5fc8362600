import Foundation

// The one mapping of each record to its table, shared by the SQLite and PostgreSQL backends.

extension User: StoredRecord {
    static let table = "user"

    init(row: some RecordRow) throws {
        self.init(id: try row.string("id"), email: try row.optionalString("email"), name: try row.optionalString("name"), createdAt: try row.date("created_at"))
    }

    var columns: [(String, ColumnValue)] {
        [("email", .text(email)), ("name", .text(name)), ("created_at", ColumnCodec.text(createdAt))]
    }
}

extension Workspace: StoredRecord {
    static let table = "workspace"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), name: try row.string("name"), slug: try row.string("slug"),
            description: try row.optionalString("description"), settings: try row.json("settings"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"), version: try row.integer("version", default: 1)
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("name", .text(name)), ("slug", .text(slug)), ("description", .text(description)),
            ("settings", ColumnCodec.json(settings, orEmpty: "{}")),
            ("created_at", ColumnCodec.text(createdAt)), ("updated_at", ColumnCodec.text(updatedAt)), ("version", .integer(Int64(version))),
        ]
    }
}

extension Member: StoredRecord {
    static let table = "member"

    /// Member rows are always read with the user's name and email joined in.
    static let selectSQL = """
        SELECT member.id, member.workspace_id, member.user_id, member.role, member.created_at, "user".name, "user".email
        FROM member LEFT JOIN "user" ON "user".id = member.user_id
        """

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), userID: try row.string("user_id"),
            role: try row.value("role"), createdAt: try row.date("created_at"), name: try row.optionalString("name"), email: try row.optionalString("email")
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("workspace_id", .text(workspaceID)), ("user_id", .text(userID)), ("role", .text(role.rawValue)),
            ("created_at", ColumnCodec.text(createdAt)),
        ]
    }
}

extension Issue: StoredRecord {
    static let table = "issue"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), title: try row.string("title"),
            description: try row.optionalString("description"), status: try row.value("status"), priority: try row.value("priority"),
            assigneeType: try row.optionalValue("assignee_type"), assigneeID: try row.optionalString("assignee_id"),
            creatorType: try row.value("creator_type"), creatorID: try row.string("creator_id"),
            parentIssueID: try row.optionalString("parent_issue_id"), acceptanceCriteria: try row.json("acceptance_criteria"),
            contextRefs: try row.json("context_refs"), position: try row.optionalReal("position") ?? 0,
            dueDate: try row.optionalDate("due_date"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), version: try row.integer("version", default: 1)
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("workspace_id", .text(workspaceID)), ("title", .text(title)), ("description", .text(description)),
            ("status", .text(status.rawValue)), ("priority", .text(priority.rawValue)), ("assignee_type", .text(assigneeType?.rawValue)),
            ("assignee_id", .text(assigneeID)), ("creator_type", .text(creatorType.rawValue)), ("creator_id", .text(creatorID)),
            ("parent_issue_id", .text(parentIssueID)),
            ("acceptance_criteria", ColumnCodec.json(acceptanceCriteria, orEmpty: "[]")),
            ("context_refs", ColumnCodec.json(contextRefs, orEmpty: "[]")), ("position", .real(position)),
            ("due_date", ColumnCodec.text(dueDate)), ("created_at", ColumnCodec.text(createdAt)),
            ("updated_at", ColumnCodec.text(updatedAt)), ("version", .integer(Int64(version))),
        ]
    }
}

extension Comment: StoredRecord {
    static let table = "comment"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), issueID: try row.string("issue_id"), authorType: try row.value("author_type"),
            authorID: try row.string("author_id"), content: try row.string("content"), type: try row.value("type"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"), version: try row.integer("version", default: 1)
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("issue_id", .text(issueID)), ("author_type", .text(authorType.rawValue)), ("author_id", .text(authorID)), ("content", .text(content)),
            ("type", .text(type.rawValue)), ("created_at", ColumnCodec.text(createdAt)),
            ("updated_at", ColumnCodec.text(updatedAt)), ("version", .integer(Int64(version))),
        ]
    }
}

extension Agent: StoredRecord {
    static let table = "agent"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), name: try row.string("name"),
            description: try row.string("description"), avatarURL: try row.optionalString("avatar_url"),
            runtimeMode: try row.value("runtime_mode"), visibility: try row.value("visibility"),
            status: try row.value("status"), maxConcurrentTasks: try row.integer("max_concurrent_tasks", default: 1),
            ownerID: try row.optionalString("owner_id"), skills: try row.string("skills"), tools: try row.json("tools"),
            triggers: try row.json("triggers"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), version: try row.integer("version", default: 1)
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("workspace_id", .text(workspaceID)), ("name", .text(name)), ("description", .text(description)), ("avatar_url", .text(avatarURL)),
            ("runtime_mode", .text(runtimeMode.rawValue)), ("visibility", .text(visibility.rawValue)), ("status", .text(status.rawValue)),
            ("max_concurrent_tasks", .integer(Int64(maxConcurrentTasks))), ("owner_id", .text(ownerID)), ("skills", .text(skills)),
            ("tools", ColumnCodec.json(tools, orEmpty: "[]")), ("triggers", ColumnCodec.json(triggers, orEmpty: "[]")),
            ("created_at", ColumnCodec.text(createdAt)), ("updated_at", ColumnCodec.text(updatedAt)), ("version", .integer(Int64(version))),
        ]
    }
}

extension InboxItem: StoredRecord {
    static let table = "inbox_item"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"),
            recipientType: try row.value("recipient_type"), recipientID: try row.string("recipient_id"),
            type: try row.string("type"), severity: try row.value("severity"), issueID: try row.optionalString("issue_id"),
            title: try row.string("title"), body: try row.optionalString("body"), read: try row.optionalFlag("read") ?? false,
            archived: try row.optionalFlag("archived") ?? false, createdAt: try row.date("created_at")
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("workspace_id", .text(workspaceID)), ("recipient_type", .text(recipientType.rawValue)), ("recipient_id", .text(recipientID)),
            ("type", .text(type)), ("severity", .text(severity.rawValue)), ("issue_id", .text(issueID)), ("title", .text(title)), ("body", .text(body)),
            ("read", .flag(read)), ("archived", .flag(archived)), ("created_at", ColumnCodec.text(createdAt)),
        ]
    }
}

extension AgentTask: StoredRecord {
    static let table = "agent_task"

    init(row: some RecordRow) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), agentID: try row.string("agent_id"),
            issueID: try row.string("issue_id"), status: try row.value("status"), priority: try row.integer("priority", default: 0),
            createdAt: try row.date("created_at"), dispatchedAt: try row.optionalDate("dispatched_at"),
            startedAt: try row.optionalDate("started_at"), completedAt: try row.optionalDate("completed_at"),
            result: try row.optionalString("result"), error: try row.optionalString("error")
        )
    }

    var columns: [(String, ColumnValue)] {
        [
            ("workspace_id", .text(workspaceID)), ("agent_id", .text(agentID)), ("issue_id", .text(issueID)), ("status", .text(status.rawValue)),
            ("priority", .integer(Int64(priority))), ("created_at", ColumnCodec.text(createdAt)),
            ("dispatched_at", ColumnCodec.text(dispatchedAt)), ("started_at", ColumnCodec.text(startedAt)),
            ("completed_at", ColumnCodec.text(completedAt)), ("result", .text(result)), ("error", .text(error)),
        ]
    }
}
