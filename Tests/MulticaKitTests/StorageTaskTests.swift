import Foundation
import Testing
@testable import MulticaKit

@Suite("Storage agent tasks")
struct StorageTaskTests {
    private struct Fixture {
        let repo: SQLiteRepository
        let workspace: Workspace
        let agent: Agent
        let issues: [MulticaKit.Issue]
    }

    private func fixture(_ database: SQLiteDatabase, maxConcurrent: Int) async throws -> Fixture {
        let repo = SQLiteRepository(database: database)
        let (workspace, _) = try await repo.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
        let agent = try await repo.write { try $0.createAgent(NewAgent(workspaceID: workspace.id, name: "bot", maxConcurrentTasks: maxConcurrent)) }
        var issues: [MulticaKit.Issue] = []
        for i in 0..<3 {
            issues.append(try await repo.write { try $0.createIssue(NewIssue(workspaceID: workspace.id, title: "T\(i)", creatorType: .member, creatorID: "u1")) })
        }
        return Fixture(repo: repo, workspace: workspace, agent: agent, issues: issues)
    }

    @Test func claimOrdersByPriorityThenAgeAndRespectsConcurrency() async throws {
        try await withTempDatabase { database in
            let f = try await fixture(database, maxConcurrent: 2)
            let repo = f.repo
            var queued: [AgentTask] = []
            for priority in [1, 3, 3, 0] {
                queued.append(try await repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[0].id, priority: priority) })
                try await Task.sleep(for: .milliseconds(3))  // distinct created_at
            }
            let first = try #require(try await repo.write { try $0.claimTask(agentID: f.agent.id) })
            let second = try #require(try await repo.write { try $0.claimTask(agentID: f.agent.id) })
            #expect(first.id == queued[1].id)  // priority 3, older
            #expect(second.id == queued[2].id)  // priority 3, newer
            #expect(first.status == .dispatched)
            #expect(first.dispatchedAt != nil)
            #expect(try await repo.task(id: first.id) == first)
            // Two dispatched/running tasks = max_concurrent_tasks: nothing more.
            #expect(try await repo.write { try $0.claimTask(agentID: f.agent.id) } == nil)

            let running = try await repo.transition(first.id) { unit, task, batch in try unit.tasks.start(task, into: batch) }
            #expect(running.status == .running)
            #expect(running.startedAt != nil)
            #expect(try await repo.write { try $0.claimTask(agentID: f.agent.id) } == nil)

            let done = try await repo.transition(first.id) { unit, task, batch in try unit.tasks.complete(task, result: "ok", into: batch) }
            #expect(done.status == .completed)
            #expect(done.result == "ok")
            let third = try #require(try await repo.write { try $0.claimTask(agentID: f.agent.id) })
            #expect(third.id == queued[0].id)  // priority 1

            _ = try await repo.transition(second.id) { unit, task, batch in try unit.tasks.fail(task, error: "boom", into: batch) }
            _ = try await repo.transition(third.id) { unit, task, batch in try unit.tasks.fail(task, error: nil, into: batch) }
            #expect(try await repo.write { try $0.claimTask(agentID: f.agent.id) }?.id == queued[3].id)
            #expect(try await repo.write { try $0.claimTask(agentID: f.agent.id) } == nil)
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.claimTask(agentID: "agt_nope") } }))
        }
    }

    @Test func concurrentClaimsNeverExceedTheLimit() async throws {
        try await withTempDatabase { database in
            let f = try await fixture(database, maxConcurrent: 3)
            for _ in 0..<10 {
                _ = try await f.repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[1].id, priority: 2) }
            }
            let claimed = try await withThrowingTaskGroup(of: AgentTask?.self) { group in
                for _ in 0..<8 { group.addTask { try await f.repo.write { try $0.claimTask(agentID: f.agent.id) } } }
                var all: [AgentTask] = []
                for try await task in group { if let task { all.append(task) } }
                return all
            }
            #expect(claimed.count == 3)
            #expect(Set(claimed.map(\.id)).count == 3)
        }
    }

    @Test func transitionsAreCheckedAndOpenTasksCancel() async throws {
        try await withTempDatabase { database in
            let f = try await fixture(database, maxConcurrent: 5)
            let repo = f.repo
            let issue = f.issues[2].id
            let queued = try await repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 4) }
            #expect(await isStateConflict { try await repo.transition(queued.id) { u, t, b in try u.tasks.start(t, into: b) } })
            #expect(await isStateConflict { try await repo.transition(queued.id) { u, t, b in try u.tasks.fail(t, error: "x", into: b) } })
            #expect(await isStateConflict { try await repo.transition(queued.id) { u, t, b in try u.tasks.complete(t, result: nil, into: b) } })

            let dispatched = try #require(try await repo.write { try $0.claimTask(agentID: f.agent.id) })
            #expect(dispatched.id == queued.id)
            let completed = try await repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 0) }
            _ = try await repo.write { try $0.claimTask(agentID: f.agent.id) }
            _ = try await repo.transition(completed.id) { u, t, b in try u.tasks.complete(t, result: nil, into: b) }
            #expect(await isStateConflict { try await repo.transition(completed.id) { u, t, b in try u.tasks.fail(t, error: "late", into: b) } })
            let stillQueued = try await repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 1) }
            let other = try await repo.write { try $0.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[0].id, priority: 1) }

            let open = try await repo.write { unit in try unit.openTasks(issueID: issue) }
            #expect(Set(open.map(\.id)) == [dispatched.id, stillQueued.id])
            try await repo.write { unit in
                try unit.tasks.cancelOpenTasks(issueID: issue, into: EventBatch(unit, workspace: f.workspace.id, actorType: .system, actorID: "test"))
            }
            #expect(try await repo.task(id: completed.id)?.status == .completed)
            #expect(try await repo.task(id: other.id)?.status == .queued)
            #expect(try await repo.tasks(issueID: issue).map(\.status) == [.cancelled, .completed, .cancelled])
            #expect(try await repo.write { unit in try unit.openTasks(issueID: issue) }.isEmpty)
            #expect(IssuePriority.urgent.taskPriority == 4)
            #expect(IssuePriority.none.taskPriority == 0)
        }
    }
}

extension SQLiteRepository {
    /// One daemon transition of task `id` as a unit of work, as the daemon routes run it.
    fileprivate func transition(
        _ id: String, _ change: @escaping @Sendable (any UnitOfWork, AgentTask, EventBatch) throws -> AgentTask
    ) async throws -> AgentTask {
        try await write { unit in
            guard let task = try unit.task(id: id) else { throw StorageError.notFound("task \(id)") }
            return try change(unit, task, EventBatch(unit, workspace: task.workspaceID, actorType: .agent, actorID: task.agentID))
        }
    }
}

/// True when `body` throws the 409 of a task transition from the wrong state.
private func isStateConflict(_ body: () async throws -> AgentTask) async -> Bool {
    do {
        _ = try await body()
        return false
    } catch let error as APIError {
        return error.status == .conflict
    } catch {
        return false
    }
}
