/// The ordered migration list of `StorageSchema`, in PostgreSQL's dialect. Append new
/// migrations (under the same names as their SQLite twins); never edit a shipped one.
///
/// Dialect choices, so that the rows read back exactly as SQLite's do: ids and the
/// RFC 3339 timestamps stay TEXT; JSON columns stay TEXT with a CHECK that they parse
/// (jsonb would reorder keys and change the bytes); SQLite's 0/1 INTEGER flags become
/// BOOLEAN; REAL becomes DOUBLE PRECISION; `seq` and millisecond times are BIGINT.
/// `user` is a reserved word in PostgreSQL and is always quoted.
enum PostgresSchema {
    struct Migration: Sendable {
        let name: String
        let sql: String
    }

    /// The table that records applied migrations (GRDB's `grdb_migrations` twin).
    static let ledger = "multica_migrations"

    /// The advisory-lock key every node takes while migrating (`pg_advisory_lock`), so
    /// that nodes starting together apply each migration exactly once.
    static let migrationLockKey: Int64 = 0x6D75_6C74_6963_6101  // "multica" + 1

    static let migrations: [Migration] = [
        Migration(name: "v1", sql: v1),
        Migration(name: "v2-versions", sql: v2Versions),
        Migration(name: "pg3-insertion-order", sql: pg3InsertionOrder),
    ]

    private static let v1 = """
        CREATE TABLE "user" (
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
            settings TEXT NOT NULL DEFAULT '{}' CHECK (settings::jsonb IS NOT NULL),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE member (
            id TEXT PRIMARY KEY NOT NULL,
            workspace_id TEXT NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
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
            acceptance_criteria TEXT NOT NULL DEFAULT '[]' CHECK (acceptance_criteria::jsonb IS NOT NULL),
            context_refs TEXT NOT NULL DEFAULT '[]' CHECK (context_refs::jsonb IS NOT NULL),
            position DOUBLE PRECISION NOT NULL DEFAULT 0,
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
            tools TEXT NOT NULL DEFAULT '[]' CHECK (tools::jsonb IS NOT NULL),
            triggers TEXT NOT NULL DEFAULT '[]' CHECK (triggers::jsonb IS NOT NULL),
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
            read BOOLEAN NOT NULL DEFAULT FALSE,
            archived BOOLEAN NOT NULL DEFAULT FALSE,
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
            seq BIGINT NOT NULL CHECK (seq >= 1),
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            actor_type TEXT NOT NULL CHECK (actor_type IN ('member', 'agent', 'system')),
            actor_id TEXT NOT NULL,
            ts BIGINT NOT NULL,
            synthetic BOOLEAN NOT NULL DEFAULT FALSE,
            payload TEXT NOT NULL,
            PRIMARY KEY (workspace_id, seq)
        );
        CREATE INDEX event_ts ON event(ts);

        CREATE TABLE event_cursor (
            workspace_id TEXT PRIMARY KEY NOT NULL,
            head_seq BIGINT NOT NULL,
            pruned_through BIGINT NOT NULL DEFAULT 0
        );
        """

    /// `version` (1 on create, +1 per change) on the versioned objects (SPEC §4, "Versions").
    private static let v2Versions = """
        ALTER TABLE workspace ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
        ALTER TABLE issue ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
        ALTER TABLE comment ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
        ALTER TABLE agent ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
        """

    /// PostgreSQL only: SQLite orders same-millisecond comments, inbox items and tasks by
    /// `rowid` (insertion order); PostgreSQL has no rowid, so these tables get an identity
    /// column that the reads order by instead. Gaps in it are harmless.
    private static let pg3InsertionOrder = """
        ALTER TABLE comment ADD COLUMN ord BIGINT GENERATED BY DEFAULT AS IDENTITY;
        ALTER TABLE inbox_item ADD COLUMN ord BIGINT GENERATED BY DEFAULT AS IDENTITY;
        ALTER TABLE agent_task ADD COLUMN ord BIGINT GENERATED BY DEFAULT AS IDENTITY;
        """
}
