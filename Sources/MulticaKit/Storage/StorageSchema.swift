import GRDB

/// The ordered migration list. Append new migrations; never edit a shipped one.
enum StorageSchema {
    /// Every table the migrations create, for `SQLiteDatabase.rowCount`.
    static let tables: Set<String> = [
        "user", "workspace", "member", "issue", "comment", "agent", "inbox_item", "agent_task", "event", "event_cursor",
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try v1(db) }
        migrator.registerMigration("v2-versions") { db in try v2(db) }
        return migrator
    }

    /// Optimistic-concurrency versions (SPEC §4 "Versions"): 1 on create, +1 per change.
    private static func v2(_ db: Database) throws {
        for table in ["workspace", "issue", "comment", "agent"] {
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)")
        }
    }

    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE user (
                id TEXT PRIMARY KEY NOT NULL,
                email TEXT,
                name TEXT,
                created_at TEXT NOT NULL
            );

            CREATE TABLE workspace (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                slug TEXT NOT NULL UNIQUE,
                description TEXT,
                settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );

            CREATE TABLE member (
                id TEXT PRIMARY KEY NOT NULL,
                workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
                created_at TEXT NOT NULL,
                UNIQUE (workspace_id, user_id)
            );
            CREATE INDEX member_user ON member(user_id);

            CREATE TABLE issue (
                id TEXT PRIMARY KEY NOT NULL,
                workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                description TEXT,
                status TEXT NOT NULL
                    CHECK (status IN ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'blocked', 'cancelled')),
                priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'medium', 'low', 'none')),
                assignee_type TEXT CHECK (assignee_type IS NULL OR assignee_type IN ('member', 'agent')),
                assignee_id TEXT,
                creator_type TEXT NOT NULL CHECK (creator_type IN ('member', 'agent', 'system')),
                creator_id TEXT NOT NULL,
                parent_issue_id TEXT REFERENCES issue(id) ON DELETE SET NULL,
                acceptance_criteria TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(acceptance_criteria)),
                context_refs TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(context_refs)),
                position REAL NOT NULL DEFAULT 0,
                due_date TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX issue_workspace_status ON issue(workspace_id, status);
            CREATE INDEX issue_workspace_assignee ON issue(workspace_id, assignee_id);
            CREATE INDEX issue_parent ON issue(parent_issue_id);

            CREATE TABLE comment (
                id TEXT PRIMARY KEY NOT NULL,
                issue_id TEXT NOT NULL REFERENCES issue(id) ON DELETE CASCADE,
                author_type TEXT NOT NULL CHECK (author_type IN ('member', 'agent', 'system')),
                author_id TEXT NOT NULL,
                content TEXT NOT NULL,
                type TEXT NOT NULL CHECK (type IN ('comment', 'status_change', 'progress_update', 'system')),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX comment_issue ON comment(issue_id, created_at);

            CREATE TABLE agent (
                id TEXT PRIMARY KEY NOT NULL,
                workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                avatar_url TEXT,
                runtime_mode TEXT NOT NULL CHECK (runtime_mode IN ('local', 'cloud')),
                visibility TEXT NOT NULL CHECK (visibility IN ('workspace', 'private')),
                status TEXT NOT NULL CHECK (status IN ('idle', 'working', 'blocked', 'error', 'offline')),
                max_concurrent_tasks INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent_tasks >= 1),
                owner_id TEXT,
                skills TEXT NOT NULL DEFAULT '',
                tools TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tools)),
                triggers TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(triggers)),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX agent_workspace ON agent(workspace_id);

            CREATE TABLE inbox_item (
                id TEXT PRIMARY KEY NOT NULL,
                workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
                recipient_type TEXT NOT NULL CHECK (recipient_type IN ('member', 'agent')),
                recipient_id TEXT NOT NULL,
                type TEXT NOT NULL,
                severity TEXT NOT NULL CHECK (severity IN ('action_required', 'attention', 'info')),
                issue_id TEXT REFERENCES issue(id) ON DELETE SET NULL,
                title TEXT NOT NULL,
                body TEXT,
                read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
                archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
                created_at TEXT NOT NULL
            );
            CREATE INDEX inbox_item_recipient ON inbox_item(workspace_id, recipient_id, created_at);
            CREATE INDEX inbox_item_issue ON inbox_item(issue_id);

            CREATE TABLE agent_task (
                id TEXT PRIMARY KEY NOT NULL,
                workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
                agent_id TEXT NOT NULL REFERENCES agent(id) ON DELETE CASCADE,
                issue_id TEXT NOT NULL REFERENCES issue(id) ON DELETE CASCADE,
                status TEXT NOT NULL
                    CHECK (status IN ('queued', 'dispatched', 'running', 'completed', 'failed', 'cancelled')),
                priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
                created_at TEXT NOT NULL,
                dispatched_at TEXT,
                started_at TEXT,
                completed_at TEXT,
                result TEXT,
                error TEXT
            );
            CREATE INDEX agent_task_claim ON agent_task(agent_id, status, priority DESC, created_at);
            CREATE INDEX agent_task_issue ON agent_task(issue_id, status);

            CREATE TABLE event (
                workspace_id TEXT NOT NULL,
                seq INTEGER NOT NULL CHECK (seq >= 1),
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                actor_type TEXT NOT NULL CHECK (actor_type IN ('member', 'agent', 'system')),
                actor_id TEXT NOT NULL,
                ts INTEGER NOT NULL,
                synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
                payload TEXT NOT NULL,
                PRIMARY KEY (workspace_id, seq)
            ) WITHOUT ROWID;
            CREATE INDEX event_ts ON event(ts);

            CREATE TABLE event_cursor (
                workspace_id TEXT PRIMARY KEY NOT NULL,
                head_seq INTEGER NOT NULL,
                pruned_through INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            """)
    }
}
