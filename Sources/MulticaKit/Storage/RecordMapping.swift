import Foundation
import GRDB

extension User: StoredRecord {
    static let table = "user"

    init(row: Row) throws {
        self.init(id: try row.string("id"), email: row["email"], name: row["name"], createdAt: try row.date("created_at"))
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [("email", email), ("name", name), ("created_at", ColumnCodec.text(createdAt))]
    }
}

extension Workspace: StoredRecord {
    static let table = "workspace"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), name: try row.string("name"), slug: try row.string("slug"),
            description: row["description"], settings: try row.json("settings"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"), version: row["version"] ?? 1
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("name", name), ("slug", slug), ("description", description),
            ("settings", (try? ColumnCodec.json(settings)) ?? "{}"),
            ("created_at", ColumnCodec.text(createdAt)), ("updated_at", ColumnCodec.text(updatedAt)), ("version", version),
        ]
    }
}

extension Member: StoredRecord {
    static let table = "member"

    /// Member rows are always read with the user's name and email joined in.
    static let selectSQL = """
        SELECT member.id, member.workspace_id, member.user_id, member.role, member.created_at, user.name, user.email
        FROM member LEFT JOIN user ON user.id = member.user_id
        """

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), userID: try row.string("user_id"),
            role: try row.value("role"), createdAt: try row.date("created_at"), name: row["name"], email: row["email"]
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("workspace_id", workspaceID), ("user_id", userID), ("role", role.rawValue),
            ("created_at", ColumnCodec.text(createdAt)),
        ]
    }
}

extension Issue: StoredRecord {
    static let table = "issue"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), title: try row.string("title"),
            description: row["description"], status: try row.value("status"), priority: try row.value("priority"),
            assigneeType: try row.optionalValue("assignee_type"), assigneeID: row["assignee_id"],
            creatorType: try row.value("creator_type"), creatorID: try row.string("creator_id"),
            parentIssueID: row["parent_issue_id"], acceptanceCriteria: try row.json("acceptance_criteria"),
            contextRefs: try row.json("context_refs"), position: row["position"] ?? 0,
            dueDate: try row.optionalDate("due_date"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), version: row["version"] ?? 1
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("workspace_id", workspaceID), ("title", title), ("description", description),
            ("status", status.rawValue), ("priority", priority.rawValue), ("assignee_type", assigneeType?.rawValue),
            ("assignee_id", assigneeID), ("creator_type", creatorType.rawValue), ("creator_id", creatorID),
            ("parent_issue_id", parentIssueID),
            ("acceptance_criteria", (try? ColumnCodec.json(acceptanceCriteria)) ?? "[]"),
            ("context_refs", (try? ColumnCodec.json(contextRefs)) ?? "[]"), ("position", position),
            ("due_date", ColumnCodec.text(dueDate)), ("created_at", ColumnCodec.text(createdAt)),
            ("updated_at", ColumnCodec.text(updatedAt)), ("version", version),
        ]
    }
}

extension Comment: StoredRecord {
    static let table = "comment"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), issueID: try row.string("issue_id"), authorType: try row.value("author_type"),
            authorID: try row.string("author_id"), content: try row.string("content"), type: try row.value("type"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"), version: row["version"] ?? 1
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("issue_id", issueID), ("author_type", authorType.rawValue), ("author_id", authorID), ("content", content),
            ("type", type.rawValue), ("created_at", ColumnCodec.text(createdAt)),
            ("updated_at", ColumnCodec.text(updatedAt)), ("version", version),
        ]
    }
}

extension Agent: StoredRecord {
    static let table = "agent"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), name: try row.string("name"),
            description: try row.string("description"), avatarURL: row["avatar_url"],
            runtimeMode: try row.value("runtime_mode"), visibility: try row.value("visibility"),
            status: try row.value("status"), maxConcurrentTasks: row["max_concurrent_tasks"] ?? 1,
            ownerID: row["owner_id"], skills: try row.string("skills"), tools: try row.json("tools"),
            triggers: try row.json("triggers"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), version: row["version"] ?? 1
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("workspace_id", workspaceID), ("name", name), ("description", description), ("avatar_url", avatarURL),
            ("runtime_mode", runtimeMode.rawValue), ("visibility", visibility.rawValue), ("status", status.rawValue),
            ("max_concurrent_tasks", maxConcurrentTasks), ("owner_id", ownerID), ("skills", skills),
            ("tools", (try? ColumnCodec.json(tools)) ?? "[]"), ("triggers", (try? ColumnCodec.json(triggers)) ?? "[]"),
            ("created_at", ColumnCodec.text(createdAt)), ("updated_at", ColumnCodec.text(updatedAt)), ("version", version),
        ]
    }
}

extension InboxItem: StoredRecord {
    static let table = "inbox_item"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"),
            recipientType: try row.value("recipient_type"), recipientID: try row.string("recipient_id"),
            type: try row.string("type"), severity: try row.value("severity"), issueID: row["issue_id"],
            title: try row.string("title"), body: row["body"], read: row["read"] ?? false,
            archived: row["archived"] ?? false, createdAt: try row.date("created_at")
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("workspace_id", workspaceID), ("recipient_type", recipientType.rawValue), ("recipient_id", recipientID),
            ("type", type), ("severity", severity.rawValue), ("issue_id", issueID), ("title", title), ("body", body),
            ("read", read), ("archived", archived), ("created_at", ColumnCodec.text(createdAt)),
        ]
    }
}

extension AgentTask: StoredRecord {
    static let table = "agent_task"

    init(row: Row) throws {
        self.init(
            id: try row.string("id"), workspaceID: try row.string("workspace_id"), agentID: try row.string("agent_id"),
            issueID: try row.string("issue_id"), status: try row.value("status"), priority: row["priority"] ?? 0,
            createdAt: try row.date("created_at"), dispatchedAt: try row.optionalDate("dispatched_at"),
            startedAt: try row.optionalDate("started_at"), completedAt: try row.optionalDate("completed_at"),
            result: row["result"], error: row["error"]
        )
    }

    var columns: [(String, (any DatabaseValueConvertible)?)] {
        [
            ("workspace_id", workspaceID), ("agent_id", agentID), ("issue_id", issueID), ("status", status.rawValue),
            ("priority", priority), ("created_at", ColumnCodec.text(createdAt)),
            ("dispatched_at", ColumnCodec.text(dispatchedAt)), ("started_at", ColumnCodec.text(startedAt)),
            ("completed_at", ColumnCodec.text(completedAt)), ("result", result), ("error", error),
        ]
    }
}
