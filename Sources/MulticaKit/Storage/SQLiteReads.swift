import Foundation
import GRDB

/// The read queries of the SQLite backend, shared by the async repository reads (on
/// GRDB's reader pool) and by units of work (on the writer, inside the transaction).
enum SQLiteReads {
    static func workspaces(_ db: Database, forUser user: String) throws -> [Workspace] {
        try Workspace.fetchAll(
            db,
            sql: """
                SELECT workspace.* FROM workspace JOIN member ON member.workspace_id = workspace.id
                WHERE member.user_id = ? ORDER BY workspace.created_at, workspace.id
                """,
            arguments: [user]
        )
    }

    static func members(_ db: Database, workspace: String) throws -> [Member] {
        try Member.fetchAll(
            db, sql: "\(Member.selectSQL) WHERE member.workspace_id = ? ORDER BY member.created_at, member.id",
            arguments: [workspace]
        )
    }

    static func membership(_ db: Database, workspace: String, user: String) throws -> Member? {
        try Member.fetchOne(
            db, sql: "\(Member.selectSQL) WHERE member.workspace_id = ? AND member.user_id = ?", arguments: [workspace, user]
        )
    }

    static func isMember(_ db: Database, workspace: String, user: String) throws -> Bool {
        try SQLiteRecordCursor.firstInteger(
            db, sql: "SELECT 1 FROM member WHERE workspace_id = ? AND user_id = ?", arguments: [workspace, user]
        ) != nil
    }

    static func issues(_ db: Database, workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) throws -> [Issue] {
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
        return try Issue.fetchAll(db, sql: sql, arguments: arguments)
    }

    static func comments(_ db: Database, issue: String) throws -> [Comment] {
        try Comment.fetchAll(db, sql: "SELECT * FROM comment WHERE issue_id = ? ORDER BY created_at, rowid", arguments: [issue])
    }

    static func agents(_ db: Database, workspace: String) throws -> [Agent] {
        try Agent.fetchAll(db, sql: "SELECT * FROM agent WHERE workspace_id = ? ORDER BY created_at, id", arguments: [workspace])
    }

    static func inboxItems(_ db: Database, workspace: String, recipient: String) throws -> [InboxItem] {
        try InboxItem.fetchAll(
            db,
            sql: """
                SELECT * FROM inbox_item WHERE workspace_id = ? AND recipient_id = ? AND archived = 0
                ORDER BY created_at DESC, rowid DESC
                """,
            arguments: [workspace, recipient]
        )
    }

    static func tasks(_ db: Database, issueID: String) throws -> [AgentTask] {
        try AgentTask.fetchAll(db, sql: "SELECT * FROM agent_task WHERE issue_id = ? ORDER BY created_at, rowid", arguments: [issueID])
    }

    static func openTasks(_ db: Database, issueID: String) throws -> [AgentTask] {
        try AgentTask.fetchAll(
            db,
            sql: """
                SELECT * FROM agent_task WHERE issue_id = ? AND status IN ('queued', 'dispatched', 'running')
                ORDER BY created_at, rowid
                """,
            arguments: [issueID]
        )
    }

    static func activeTaskCount(_ db: Database, agentID: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM agent_task WHERE agent_id = ? AND status IN ('dispatched', 'running')"),
            arguments: [agentID]
        ) ?? 0
    }

    static func exists(_ db: Database, table: String, id: String) throws -> Bool {
        try SQLiteRecordCursor.firstInteger(db, sql: "SELECT 1 FROM \"\(table)\" WHERE id = ?", arguments: [id]) != nil
    }
}
