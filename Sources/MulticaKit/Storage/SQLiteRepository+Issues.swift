import Foundation
import GRDB

extension SQLiteRepository {
    // MARK: - Issues

    public func createIssue(_ draft: NewIssue) async throws -> Issue {
        guard !draft.title.isEmpty else { throw StorageError.invalid("issue title must not be empty") }
        guard (draft.assigneeType == nil) == (draft.assigneeID == nil) else {
            throw StorageError.invalid("assignee_type and assignee_id go together")
        }
        let now = StorageClock.now()
        return try await database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE id = ?", arguments: [draft.workspaceID]) == true else {
                throw StorageError.notFound("workspace \(draft.workspaceID)")
            }
            let position: Double
            if let given = draft.position {
                position = given
            } else {
                let last = try Double.fetchOne(db, sql: "SELECT MAX(position) FROM issue WHERE workspace_id = ?", arguments: [draft.workspaceID])
                position = (last ?? 0) + 1
            }
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

    public func issue(id: String) async throws -> Issue? {
        try await database.read { db in try Issue.fetchOne(db, id: id) }
    }

    public func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) async throws -> [Issue] {
        var sql = "SELECT * FROM issue WHERE workspace_id = ?"
        var arguments: StatementArguments = [workspace]
        if let status {
            sql += " AND status = ?"
            arguments += [status.rawValue]
        }
        if let assignee {
            sql += " AND assignee_id = ?"
            arguments += [assignee]
        }
        sql += " ORDER BY position, created_at, id"
        if let limit {
            sql += " LIMIT ?"
            arguments += [max(0, limit)]
        }
        let query = sql
        let args = arguments
        return try await database.read { db in try Issue.fetchAll(db, sql: query, arguments: args) }
    }

    public func updateIssue(_ issue: Issue) async throws -> Issue {
        guard !issue.title.isEmpty else { throw StorageError.invalid("issue title must not be empty") }
        guard (issue.assigneeType == nil) == (issue.assigneeID == nil) else {
            throw StorageError.invalid("assignee_type and assignee_id go together")
        }
        return try await database.write { db in
            let stored = try Issue.require(db, id: issue.id)
            var updated = issue
            updated.workspaceID = stored.workspaceID
            updated.createdAt = stored.createdAt
            updated.dueDate = issue.dueDate.map(StorageClock.truncate)
            updated.updatedAt = StorageClock.now()
            try Issue.update(updated, keeping: ["workspace_id", "created_at"], db)
            return updated
        }
    }

    @discardableResult
    public func deleteIssue(id: String) async throws -> Issue {
        try await database.write { db in try Issue.delete(db, id: id) }
    }

    // MARK: - Comments

    public func createComment(_ draft: NewComment) async throws -> Comment {
        guard !draft.content.isEmpty else { throw StorageError.invalid("comment content must not be empty") }
        let now = StorageClock.now()
        let comment = Comment(
            id: Identifier.make("cmt"), issueID: draft.issueID, authorType: draft.authorType, authorID: draft.authorID,
            content: draft.content, type: draft.type, createdAt: now, updatedAt: now
        )
        return try await database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM issue WHERE id = ?", arguments: [draft.issueID]) == true else {
                throw StorageError.notFound("issue \(draft.issueID)")
            }
            try Comment.insert(comment, db)
            return comment
        }
    }

    public func comment(id: String) async throws -> Comment? {
        try await database.read { db in try Comment.fetchOne(db, id: id) }
    }

    public func comments(issue: String) async throws -> [Comment] {
        try await database.read { db in
            try Comment.fetchAll(db, sql: "SELECT * FROM comment WHERE issue_id = ? ORDER BY created_at, rowid", arguments: [issue])
        }
    }

    public func updateComment(id: String, content: String) async throws -> Comment {
        guard !content.isEmpty else { throw StorageError.invalid("comment content must not be empty") }
        return try await database.write { db in
            var comment = try Comment.require(db, id: id)
            comment.content = content
            comment.updatedAt = StorageClock.now()
            try Comment.update(comment, db)
            return comment
        }
    }

    @discardableResult
    public func deleteComment(id: String) async throws -> Comment {
        try await database.write { db in try Comment.delete(db, id: id) }
    }
}
