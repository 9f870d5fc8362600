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
        let (workspace, _) = try await repo.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1")
        let agent = try await repo.createAgent(NewAgent(workspaceID: workspace.id, name: "bot", maxConcurrentTasks: maxConcurrent))
        var issues: [MulticaKit.Issue] = []
        for i in 0..<3 {
            issues.append(try await repo.createIssue(NewIssue(workspaceID: workspace.id, title: "T\(i)", creatorType: .member, creatorID: "u1")))
        }
        return Fixture(repo: repo, workspace: workspace, agent: agent, issues: issues)
    }

    @Test func claimOrdersByPriorityThenAgeAndRespectsConcurrency() async throws {
        try await withTempDatabase { database in
            let f = try await fixture(database, maxConcurrent: 2)
            let repo = f.repo
            var queued: [AgentTask] = []
            for priority in [1, 3, 3, 0] {
                queued.append(try await repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[0].id, priority: priority))
                try await Task.sleep(for: .milliseconds(3))  // distinct created_at
            }
            let first = try #require(try await repo.claimTask(agentID: f.agent.id))
            let second = try #require(try await repo.claimTask(agentID: f.agent.id))
            #expect(first.id == queued[1].id)  // priority 3, older
            #expect(second.id == queued[2].id)  // priority 3, newer
            #expect(first.status == .dispatched)
            #expect(first.dispatchedAt != nil)
            #expect(try await repo.task(id: first.id) == first)
            // Two dispatched/running tasks = max_concurrent_tasks: nothing more.
            #expect(try await repo.claimTask(agentID: f.agent.id) == nil)

            let running = try await repo.startTask(id: first.id)
            #expect(running.status == .running)
            #expect(running.startedAt != nil)
            #expect(try await repo.claimTask(agentID: f.agent.id) == nil)

            let done = try await repo.completeTask(id: first.id, result: "ok")
            #expect(done.status == .completed)
            #expect(done.result == "ok")
            let third = try #require(try await repo.claimTask(agentID: f.agent.id))
            #expect(third.id == queued[0].id)  // priority 1

            _ = try await repo.failTask(id: second.id, error: "boom")
            _ = try await repo.failTask(id: third.id, error: nil)
            #expect(try await repo.claimTask(agentID: f.agent.id)?.id == queued[3].id)
            #expect(try await repo.claimTask(agentID: f.agent.id) == nil)
            #expect(isNotFound(await storageError { _ = try await repo.claimTask(agentID: "agt_nope") }))
        }
    }

    @Test func concurrentClaimsNeverExceedTheLimit() async throws {
        try await withTempDatabase { database in
            let f = try await fixture(database, maxConcurrent: 3)
            for _ in 0..<10 {
                _ = try await f.repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[1].id, priority: 2)
            }
            let claimed = try await withThrowingTaskGroup(of: AgentTask?.self) { group in
                for _ in 0..<8 { group.addTask { try await f.repo.claimTask(agentID: f.agent.id) } }
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
            let queued = try await repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 4)
            #expect(isInvalid(await storageError { _ = try await repo.startTask(id: queued.id) }))
            #expect(isInvalid(await storageError { _ = try await repo.failTask(id: queued.id, error: "x") }))
            #expect(isInvalid(await storageError { _ = try await repo.completeTask(id: queued.id, result: nil) }))
            #expect(isNotFound(await storageError { _ = try await repo.startTask(id: "task_nope") }))

            let dispatched = try #require(try await repo.claimTask(agentID: f.agent.id))
            #expect(dispatched.id == queued.id)
            let completed = try await repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 0)
            _ = try await repo.claimTask(agentID: f.agent.id)
            _ = try await repo.completeTask(id: completed.id, result: nil)
            #expect(isInvalid(await storageError { _ = try await repo.failTask(id: completed.id, error: "late") }))
            let stillQueued = try await repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: issue, priority: 1)
            let other = try await repo.enqueueTask(workspace: f.workspace.id, agentID: f.agent.id, issueID: f.issues[0].id, priority: 1)

            let cancelled = try await repo.cancelOpenTasks(issueID: issue)
            #expect(Set(cancelled.map(\.id)) == [dispatched.id, stillQueued.id])
            #expect(cancelled.allSatisfy { $0.status == .cancelled })
            #expect(try await repo.task(id: completed.id)?.status == .completed)
            #expect(try await repo.task(id: other.id)?.status == .queued)
            #expect(try await repo.tasks(issueID: issue).map(\.status) == [.cancelled, .completed, .cancelled])
            #expect(try await repo.cancelOpenTasks(issueID: issue).isEmpty)
            #expect(IssuePriority.urgent.taskPriority == 4)
            #expect(IssuePriority.none.taskPriority == 0)
        }
    }
}
