import Foundation

/// The agent-task lifecycle of SPEC §6.
///
/// `plan(from:to:)` is the pure decision of what an issue change does to its tasks;
/// the other methods run inside the request's unit of work: they change rows through
/// it and append their events to it, in the order SPEC §6 lists them, so the task, the
/// issue, the agent, the inbox items and every event commit together or not at all.
/// Handlers never decide anything about tasks themselves.
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
struct TaskService {
    let unit: any UnitOfWork

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

    /// Applies `plan(from:to:)`: cancels, then enqueues; appends `agent:status` for the
    /// agents that went back to idle because their running task was cancelled.
    @discardableResult
    func issueChanged(from old: Issue?, to new: Issue, into batch: EventBatch) throws -> AgentTask? {
        let plan = Self.plan(from: old, to: new)
        if plan.cancelOpenTasks {
            try cancelOpenTasks(issueID: new.id, into: batch)
        }
        guard let enqueue = plan.enqueue else { return nil }
        return try unit.enqueueTask(workspace: new.workspaceID, agentID: enqueue.agentID, issueID: new.id, priority: enqueue.priority)
    }

    /// Cancels the issue's open tasks (before it is deleted or changed) and appends
    /// `agent:status` for each agent set back to idle.
    func cancelOpenTasks(issueID: String, into batch: EventBatch) throws {
        let now = StorageClock.now()
        var agents: [String] = []
        for var task in try unit.openTasks(issueID: issueID) {
            task.status = .cancelled
            task.completedAt = now
            _ = try unit.updateTask(task)
            if !agents.contains(task.agentID) { agents.append(task.agentID) }
        }
        for agentID in agents {
            if let settled = try settle(agentID: agentID), settled.changed { try batch.add(agentStatus: [settled.agent]) }
        }
    }

    // MARK: - Daemon

    /// Dispatches the agent's next task: `agent:status` (working), `task:dispatch`.
    /// Nil when nothing is queued or the agent is at `max_concurrent_tasks`.
    func claim(agentID: String, into batch: EventBatch) throws -> AgentTask? {
        guard let agent = try unit.agent(id: agentID) else { throw APIError.notFound("agent") }
        guard let task = try unit.claimTask(agentID: agent.id) else { return nil }
        guard let issue = try unit.issue(id: task.issueID) else { throw APIError.notFound("issue") }
        var working = agent
        if working.status != .working {
            working.status = .working
            working = try unit.updateAgent(working)
        }
        try batch.add(agentStatus: [working])
        try batch.add(
            .taskDispatch,
            [
                ("task_id", task.id), ("agent_id", task.agentID), ("issue_id", task.issueID),
                ("workspace_id", task.workspaceID), ("priority", task.priority), ("issue", issue),
            ]
        )
        return task
    }

    /// dispatched → running; the issue moves to `in_progress`: `issue:updated`.
    func start(_ task: AgentTask, into batch: EventBatch) throws -> AgentTask {
        try requireState(task, [.dispatched])
        var started = task
        started.status = .running
        started.startedAt = StorageClock.now()
        started = try unit.updateTask(started)
        if var issue = try unit.issue(id: task.issueID) {
            issue.status = .inProgress
            try batch.add(.issueUpdated, [("issue", try unit.updateIssue(issue))])
        }
        return started
    }

    /// `task:progress` {task_id, summary, step, total}; the task must be dispatched or running.
    func progress(_ task: AgentTask, summary: String, step: Int?, total: Int?, into batch: EventBatch) throws {
        try requireState(task, [.dispatched, .running])
        try batch.add(.taskProgress, [("task_id", task.id), ("summary", summary), ("step", step), ("total", total)])
    }

    /// → completed: `issue:updated` (in_review), `inbox:new` (review requested),
    /// `agent:status`, `task:completed`.
    func complete(_ task: AgentTask, result: String?, into batch: EventBatch) throws -> AgentTask {
        try requireState(task, [.dispatched, .running])
        var completed = task
        completed.status = .completed
        completed.completedAt = StorageClock.now()
        completed.result = result
        completed = try unit.updateTask(completed)
        if var issue = try unit.issue(id: task.issueID) {
            issue.status = .inReview
            issue = try unit.updateIssue(issue)
            try batch.add(.issueUpdated, [("issue", issue)])
            try batch.add(inbox: try store(InboxService.taskCompleted(issue: issue)))
        }
        try finish(completed, into: batch, event: .taskCompleted)
        return completed
    }

    /// → failed: `inbox:new` (agent blocked), `agent:status`, `task:failed`.
    func fail(_ task: AgentTask, error: String?, into batch: EventBatch) throws -> AgentTask {
        try requireState(task, [.dispatched, .running])
        var failed = task
        failed.status = .failed
        failed.completedAt = StorageClock.now()
        failed.error = error
        failed = try unit.updateTask(failed)
        if let issue = try unit.issue(id: task.issueID) {
            try batch.add(inbox: try store(InboxService.taskFailed(issue: issue, error: error)))
        }
        try finish(failed, into: batch, event: .taskFailed)
        return failed
    }

    // MARK: - Helpers

    private func finish(_ task: AgentTask, into batch: EventBatch, event: EventType) throws {
        if let settled = try settle(agentID: task.agentID) {
            try batch.add(agentStatus: [settled.agent])
        }
        try batch.add(
            event, [("task_id", task.id), ("agent_id", task.agentID), ("issue_id", task.issueID), ("status", task.status)]
        )
    }

    /// Sets a working agent with no dispatched or running task back to idle.
    private func settle(agentID: String) throws -> (agent: Agent, changed: Bool)? {
        guard var agent = try unit.agent(id: agentID) else { return nil }
        guard agent.status == .working, try unit.activeTaskCount(agentID: agentID) == 0 else {
            return (agent, false)
        }
        agent.status = .idle
        return (try unit.updateAgent(agent), true)
    }

    /// Stores the inbox items of a trigger (each becomes one `inbox:new`).
    func store(_ drafts: [NewInboxItem]) throws -> [InboxItem] {
        try drafts.map { try unit.createInboxItem($0) }
    }

    private func requireState(_ task: AgentTask, _ allowed: Set<TaskStatus>) throws {
        guard allowed.contains(task.status) else {
            throw APIError.conflict("task \(task.id) is \(task.status.rawValue)")
        }
    }
}
