import PostgresNIO

/// The read queries of the PostgreSQL backend, as statements, shared by the async
/// repository reads (on the pool) and by units of work (on the writer connection,
/// inside the transaction). The twin of `SQLiteReads`, in PostgreSQL's dialect.
enum PostgresReads {
    static func workspaces(forUser user: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("""
            SELECT workspace.* FROM workspace JOIN member ON member.workspace_id = workspace.id
            WHERE member.user_id = \(s.bind(user)) ORDER BY workspace.created_at, workspace.id
            """)
        return s
    }

    static func allWorkspaces() -> PostgresStatement {
        PostgresStatement("SELECT * FROM workspace ORDER BY created_at, id")
    }

    static func members(workspace: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("\(Member.selectSQL) WHERE member.workspace_id = \(s.bind(workspace)) ORDER BY member.created_at, member.id")
        return s
    }

    static func membership(workspace: String, user: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("\(Member.selectSQL) WHERE member.workspace_id = \(s.bind(workspace)) AND member.user_id = \(s.bind(user))")
        return s
    }

    static func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("SELECT * FROM issue WHERE workspace_id = \(s.bind(workspace))")
        if let status { s.add(" AND status = \(s.bind(status.rawValue))") }
        if let assignee { s.add(" AND assignee_id = \(s.bind(assignee))") }
        s.add(" ORDER BY position, created_at, id")
        if let limit { s.add(" LIMIT \(s.bind(.integer(Int64(max(0, limit)))))") }
        return s
    }

    static func comments(issue: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("SELECT * FROM comment WHERE issue_id = \(s.bind(issue)) ORDER BY created_at, ord")
        return s
    }

    static func agents(workspace: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("SELECT * FROM agent WHERE workspace_id = \(s.bind(workspace)) ORDER BY created_at, id")
        return s
    }

    static func inboxItems(workspace: String, recipient: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("""
            SELECT * FROM inbox_item WHERE workspace_id = \(s.bind(workspace)) AND recipient_id = \(s.bind(recipient))
            AND NOT archived ORDER BY created_at DESC, ord DESC
            """)
        return s
    }

    static func tasks(issueID: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("SELECT * FROM agent_task WHERE issue_id = \(s.bind(issueID)) ORDER BY created_at, ord")
        return s
    }

    static func openTasks(issueID: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("""
            SELECT * FROM agent_task WHERE issue_id = \(s.bind(issueID)) AND status IN ('queued', 'dispatched', 'running')
            ORDER BY created_at, ord
            """)
        return s
    }

    static func activeTaskCount(agentID: String) -> PostgresStatement {
        var s = PostgresStatement()
        s.add("SELECT COUNT(*) AS n FROM agent_task WHERE agent_id = \(s.bind(agentID)) AND status IN ('dispatched', 'running')")
        return s
    }
}
