import Foundation
import GRDB

extension SQLiteRepository {
    // MARK: - Agents

    public func createAgent(_ draft: NewAgent) async throws -> Agent {
        guard !draft.name.isEmpty else { throw StorageError.invalid("agent name must not be empty") }
        guard draft.maxConcurrentTasks >= 1 else { throw StorageError.invalid("max_concurrent_tasks must be at least 1") }
        let now = StorageClock.now()
        let agent = Agent(
            id: Identifier.make("agt"), workspaceID: draft.workspaceID, name: draft.name,
            description: draft.description, avatarURL: draft.avatarURL, runtimeMode: draft.runtimeMode,
            visibility: draft.visibility, status: draft.status, maxConcurrentTasks: draft.maxConcurrentTasks,
            ownerID: draft.ownerID, skills: draft.skills, tools: draft.tools, triggers: draft.triggers,
            createdAt: now, updatedAt: now
        )
        return try await database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE id = ?", arguments: [draft.workspaceID]) == true else {
                throw StorageError.notFound("workspace \(draft.workspaceID)")
            }
            try Agent.insert(agent, db)
            return agent
        }
    }

    public func agent(id: String) async throws -> Agent? {
        try await database.read { db in try Agent.fetchOne(db, id: id) }
    }

    public func agents(workspace: String) async throws -> [Agent] {
        try await database.read { db in
            try Agent.fetchAll(db, sql: "SELECT * FROM agent WHERE workspace_id = ? ORDER BY created_at, id", arguments: [workspace])
        }
    }

    public func updateAgent(_ agent: Agent) async throws -> Agent {
        guard !agent.name.isEmpty else { throw StorageError.invalid("agent name must not be empty") }
        guard agent.maxConcurrentTasks >= 1 else { throw StorageError.invalid("max_concurrent_tasks must be at least 1") }
        return try await database.write { db in
            let stored = try Agent.require(db, id: agent.id)
            var updated = agent
            updated.workspaceID = stored.workspaceID
            updated.createdAt = stored.createdAt
            updated.updatedAt = StorageClock.now()
            try Agent.update(updated, keeping: ["workspace_id", "created_at"], db)
            return updated
        }
    }

    @discardableResult
    public func deleteAgent(id: String) async throws -> Agent {
        try await database.write { db in try Agent.delete(db, id: id) }
    }

    // MARK: - Inbox

    public func createInboxItem(_ draft: NewInboxItem) async throws -> InboxItem {
        let item = InboxItem(
            id: Identifier.make("inb"), workspaceID: draft.workspaceID, recipientType: draft.recipientType,
            recipientID: draft.recipientID, type: draft.type, severity: draft.severity, issueID: draft.issueID,
            title: draft.title, body: draft.body, read: false, archived: false, createdAt: StorageClock.now()
        )
        return try await database.write { db in
            try InboxItem.insert(item, db)
            return item
        }
    }

    public func inboxItems(workspace: String, recipient: String) async throws -> [InboxItem] {
        try await database.read { db in
            try InboxItem.fetchAll(
                db,
                sql: """
                    SELECT * FROM inbox_item WHERE workspace_id = ? AND recipient_id = ? AND archived = 0
                    ORDER BY created_at DESC, rowid DESC
                    """,
                arguments: [workspace, recipient]
            )
        }
    }

    public func inboxItem(id: String) async throws -> InboxItem? {
        try await database.read { db in try InboxItem.fetchOne(db, id: id) }
    }

    public func markInboxRead(id: String) async throws -> InboxItem {
        try await setInboxFlag(id: id, column: "read")
    }

    public func archiveInboxItem(id: String) async throws -> InboxItem {
        try await setInboxFlag(id: id, column: "archived")
    }

    private func setInboxFlag(id: String, column: String) async throws -> InboxItem {
        try await database.write { db in
            try db.execute(sql: "UPDATE inbox_item SET \(column) = 1 WHERE id = ?", arguments: [id])
            return try InboxItem.require(db, id: id)
        }
    }
}
