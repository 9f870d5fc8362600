import Foundation

/// The agent-task lifecycle of SPEC §6.
///
/// `plan(from:to:)` is the pure decision of what an issue change does to its tasks;
/// the other methods change storage and return what happened, with the events to
/// publish, in the order SPEC §6 lists them. Handlers publish those events in one
/// call and never decide anything about tasks themselves.
///
/// Decisions where the spec is silent:
/// - Enqueueing happens when an issue is created, or its status or assignee changes,
///   and it ends up `todo` with an agent assignee. Other edits (title, priority…) leave
///   its tasks alone; a queued task keeps the priority it was enqueued with.
/// - A reassignment or status change cancels the issue's open tasks first, then maybe
///   enqueues a new one. Cancelling emits no task event (the catalog has none); an
///   agent left with no dispatched or running task goes back to `idle`, announced with
///   `agent:status`.
/// - Events of the daemon routes are attributed to the agent (`actor_type: agent`,
///   `actor_id`: the agent id): the daemon acts for it.
/// - Claim marks the agent `working`; complete and fail mark it `idle` when it has no
///   other dispatched or running task. Both always publish `agent:status`.
/// - Start moves the issue to `in_progress`, complete to `in_review`; fail leaves the
///   issue's status alone (the creator gets "Agent blocked"). These transitions do
///   not cancel the task that caused them.
/// - A transition from the wrong state (completing a cancelled task…) is 409.
struct TaskService: Sendable {
    let repository: any Repository

    /// What an issue change does to the issue's tasks.
    struct Plan: Sendable, Equatable {
        var cancelOpenTasks: Bool
        /// The agent and the task priority of a task to enqueue (after cancelling).
        var enqueue: Enqueue?

        struct Enqueue: Sendable, Equatable {
            var agentID: String
            var priority: Int
        }
    }

    /// `old` is nil for a newly created issue.
    static func plan(from old: Issue?, to new: Issue) -> Plan {
        let assigneeChanged = old.map { $0.assigneeType != new.assigneeType || $0.assigneeID != new.assigneeID } ?? true
        let statusChanged = old.map { $0.status != new.status } ?? true
        let changed = assigneeChanged || statusChanged
        var plan = Plan(cancelOpenTasks: old != nil && changed, enqueue: nil)
        if changed, new.status == .todo, new.assigneeType == .agent, let agent = new.assigneeID {
            plan.enqueue = .init(agentID: agent, priority: new.priority.taskPriority)
        }
        return plan
    }

    /// Applies `plan(from:to:)`: cancels, then enqueues. Returns the agents that went
    /// back to idle because their running task was cancelled.
    @discardableResult
    func issueChanged(from old: Issue?, to new: Issue) async throws -> (released: [Agent], enqueued: AgentTask?) {
        let plan = Self.plan(from: old, to: new)
        var released: [Agent] = []
        if plan.cancelOpenTasks {
            released = try await cancelOpenTasks(issueID: new.id)
        }
        var enqueued: AgentTask?
        if let enqueue = plan.enqueue {
            enqueued = try await repository.enqueueTask(
                workspace: new.workspaceID, agentID: enqueue.agentID, issueID: new.id, priority: enqueue.priority
            )
        }
        return (released, enqueued)
    }

    /// Cancels the issue's open tasks (before it is deleted or changed); returns the
    /// agents set back to idle.
    func cancelOpenTasks(issueID: String) async throws -> [Agent] {
        let cancelled = try await repository.cancelOpenTasks(issueID: issueID)
        var released: [Agent] = []
        var seen: Set<String> = []
        for task in cancelled where seen.insert(task.agentID).inserted {
            if let agent = try await settle(agentID: task.agentID), agent.changed { released.append(agent.agent) }
        }
        return released
    }

    // MARK: - Daemon

    /// The result of a daemon call: the task as it now is, and the events to publish.
    struct Outcome: Sendable {
        var task: AgentTask
        var batch: EventBatch
    }

    /// Dispatches the agent's next task: `agent:status` (working), `task:dispatch`.
    /// Nil when nothing is queued or the agent is at `max_concurrent_tasks`.
    func claim(agent: Agent) async throws -> Outcome? {
        guard let task = try await repository.claimTask(agentID: agent.id) else { return nil }
        guard let issue = try await repository.issue(id: task.issueID) else { throw APIError.notFound("issue") }
        var working = agent
        if working.status != .working {
            working.status = .working
            working = try await repository.updateAgent(working)
        }
        var batch = EventBatch(workspace: task.workspaceID, actorType: .agent, actorID: agent.id)
        try batch.add(agentStatus: [working])
        try batch.add(
            .taskDispatch,
            [
                ("task_id", task.id), ("agent_id", task.agentID), ("issue_id", task.issueID),
                ("workspace_id", task.workspaceID), ("priority", task.priority), ("issue", issue),
            ]
        )
        return Outcome(task: task, batch: batch)
    }

    /// dispatched → running; the issue moves to `in_progress`: `issue:updated`.
    func start(_ task: AgentTask) async throws -> Outcome {
        try requireState(task, [.dispatched])
        let started = try await repository.startTask(id: task.id)
        var batch = EventBatch(workspace: task.workspaceID, actorType: .agent, actorID: task.agentID)
        if var issue = try await repository.issue(id: task.issueID) {
            issue.status = .inProgress
            try batch.add(.issueUpdated, [("issue", try await repository.updateIssue(issue))])
        }
        return Outcome(task: started, batch: batch)
    }

    /// `task:progress` {task_id, summary, step, total}; the task must be dispatched or running.
    func progress(_ task: AgentTask, summary: String, step: Int?, total: Int?) throws -> Outcome {
        try requireState(task, [.dispatched, .running])
        var batch = EventBatch(workspace: task.workspaceID, actorType: .agent, actorID: task.agentID)
        try batch.add(.taskProgress, [("task_id", task.id), ("summary", summary), ("step", step), ("total", total)])
        return Outcome(task: task, batch: batch)
    }

    /// → completed: `issue:updated` (in_review), `inbox:new` (review requested),
    /// `agent:status`, `task:completed`.
    func complete(_ task: AgentTask, result: String?) async throws -> Outcome {
        try requireState(task, [.dispatched, .running])
        let completed = try await repository.completeTask(id: task.id, result: result)
        var batch = EventBatch(workspace: task.workspaceID, actorType: .agent, actorID: task.agentID)
        if var issue = try await repository.issue(id: task.issueID) {
            issue.status = .inReview
            issue = try await repository.updateIssue(issue)
            try batch.add(.issueUpdated, [("issue", issue)])
            try batch.add(inbox: try await store(InboxService.taskCompleted(issue: issue)))
        }
        try await finish(completed, into: &batch, event: .taskCompleted)
        return Outcome(task: completed, batch: batch)
    }

    /// → failed: `inbox:new` (agent blocked), `agent:status`, `task:failed`.
    func fail(_ task: AgentTask, error: String?) async throws -> Outcome {
        try requireState(task, [.dispatched, .running])
        let failed = try await repository.failTask(id: task.id, error: error)
        var batch = EventBatch(workspace: task.workspaceID, actorType: .agent, actorID: task.agentID)
        if let issue = try await repository.issue(id: task.issueID) {
            try batch.add(inbox: try await store(InboxService.taskFailed(issue: issue, error: error)))
        }
        try await finish(failed, into: &batch, event: .taskFailed)
        return Outcome(task: failed, batch: batch)
    }

    // MARK: - Helpers

    private func finish(_ task: AgentTask, into batch: inout EventBatch, event: EventType) async throws {
        if let settled = try await settle(agentID: task.agentID) {
            try batch.add(agentStatus: [settled.agent])
        }
        try batch.add(
            event, [("task_id", task.id), ("agent_id", task.agentID), ("issue_id", task.issueID), ("status", task.status)]
        )
    }

    /// Sets a working agent with no dispatched or running task back to idle.
    private func settle(agentID: String) async throws -> (agent: Agent, changed: Bool)? {
        guard var agent = try await repository.agent(id: agentID) else { return nil }
        guard agent.status == .working, try await repository.activeTaskCount(agentID: agentID) == 0 else {
            return (agent, false)
        }
        agent.status = .idle
        return (try await repository.updateAgent(agent), true)
    }

    func store(_ drafts: [NewInboxItem]) async throws -> [InboxItem] {
        var items: [InboxItem] = []
        for draft in drafts { items.append(try await repository.createInboxItem(draft)) }
        return items
    }

    private func requireState(_ task: AgentTask, _ allowed: Set<TaskStatus>) throws {
        guard allowed.contains(task.status) else {
            throw APIError.conflict("task \(task.id) is \(task.status.rawValue)")
        }
    }
}
