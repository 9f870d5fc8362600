import Foundation
import GRDB

extension SQLiteRepository {
    public func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) async throws -> AgentTask {
        guard (0...4).contains(priority) else { throw StorageError.invalid("task priority must be 0…4") }
        let task = AgentTask(
            id: Identifier.make("task"), workspaceID: workspace, agentID: agentID, issueID: issueID, status: .queued,
            priority: priority, createdAt: StorageClock.now(), dispatchedAt: nil, startedAt: nil, completedAt: nil,
            result: nil, error: nil
        )
        return try await database.write { db in
            try AgentTask.insert(task, db)
            return task
        }
    }

    public func claimTask(agentID: String) async throws -> AgentTask? {
        try await database.write { db in
            guard let limit = try Int.fetchOne(db, sql: "SELECT max_concurrent_tasks FROM agent WHERE id = ?", arguments: [agentID]) else {
                throw StorageError.notFound("agent \(agentID)")
            }
            let busy = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM agent_task WHERE agent_id = ? AND status IN ('dispatched', 'running')",
                arguments: [agentID]
            ) ?? 0
            guard busy < limit else { return nil }
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

    public func task(id: String) async throws -> AgentTask? {
        try await database.read { db in try AgentTask.fetchOne(db, id: id) }
    }

    public func tasks(issueID: String) async throws -> [AgentTask] {
        try await database.read { db in
            try AgentTask.fetchAll(db, sql: "SELECT * FROM agent_task WHERE issue_id = ? ORDER BY created_at, rowid", arguments: [issueID])
        }
    }

    public func startTask(id: String) async throws -> AgentTask {
        try await transition(id: id, from: [.dispatched]) { task, now in
            task.status = .running
            task.startedAt = now
        }
    }

    public func completeTask(id: String, result: String?) async throws -> AgentTask {
        try await transition(id: id, from: [.dispatched, .running]) { task, now in
            task.status = .completed
            task.completedAt = now
            task.result = result
        }
    }

    public func failTask(id: String, error: String?) async throws -> AgentTask {
        try await transition(id: id, from: [.dispatched, .running]) { task, now in
            task.status = .failed
            task.completedAt = now
            task.error = error
        }
    }

    public func cancelOpenTasks(issueID: String) async throws -> [AgentTask] {
        try await database.write { db in
            let open = try AgentTask.fetchAll(
                db,
                sql: """
                    SELECT * FROM agent_task WHERE issue_id = ? AND status IN ('queued', 'dispatched', 'running')
                    ORDER BY created_at, rowid
                    """,
                arguments: [issueID]
            )
            let now = StorageClock.now()
            return try open.map { task in
                var cancelled = task
                cancelled.status = .cancelled
                cancelled.completedAt = now
                try AgentTask.update(cancelled, db)
                return cancelled
            }
        }
    }

    public func activeTaskCount(agentID: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM agent_task WHERE agent_id = ? AND status IN ('dispatched', 'running')",
                arguments: [agentID]
            ) ?? 0
        }
    }

    private func transition(
        id: String, from allowed: Set<TaskStatus>, _ change: @escaping @Sendable (inout AgentTask, Date) -> Void
    ) async throws -> AgentTask {
        try await database.write { db in
            var task = try AgentTask.require(db, id: id)
            guard allowed.contains(task.status) else {
                throw StorageError.invalid("task \(id) is \(task.status.rawValue)")
            }
            change(&task, StorageClock.now())
            try AgentTask.update(task, db)
            return task
        }
    }
}
