import Foundation

// The repositories of SPEC §4: protocols owned by MulticaKit, with no SQL or database
// type in them. `SQLiteRepository` implements them all. Every failure is a
// `StorageError`: `.notFound` for a missing row, `.conflict` for a uniqueness
// violation, `.invalid` for a refused value or state transition.

public protocol UserStore: Sendable {
    /// Inserts the user, or updates the email and name that are not nil.
    @discardableResult
    func upsertUser(id: String, email: String?, name: String?) async throws -> User
    func user(id: String) async throws -> User?
}

public protocol WorkspaceStore: Sendable {
    /// Creates the workspace and its owner's membership in one transaction (creating
    /// the owner's user row if missing). `.conflict` when the slug is taken.
    func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) async throws -> (Workspace, Member)
    /// The workspaces `user` is a member of, oldest first.
    func workspaces(forUser user: String) async throws -> [Workspace]
    func allWorkspaces() async throws -> [Workspace]
    func workspace(id: String) async throws -> Workspace?
    /// Changes the fields that are not nil and bumps `updated_at`.
    func updateWorkspace(id: String, name: String?, description: String?, settings: [String: JSONValue]?) async throws -> Workspace
    /// Deletes the workspace and, by cascade, its members, issues, comments, agents,
    /// inbox items and tasks (its events stay in the log until retention removes them).
    @discardableResult
    func deleteWorkspace(id: String) async throws -> Workspace
}

public protocol MemberStore: Sendable {
    /// Members of the workspace, oldest first.
    func members(workspace: String) async throws -> [Member]
    /// Adds `userID` (creating its user row if missing); `.conflict` if already a member,
    /// `.notFound` if there is no such workspace.
    func addMember(workspace: String, userID: String, role: MemberRole) async throws -> Member
    func member(id: String) async throws -> Member?
    /// The membership of `user` in `workspace`, if any (one indexed lookup; auth hot path).
    func membership(workspace: String, user: String) async throws -> Member?
    /// Removes the membership and returns it as it was.
    @discardableResult
    func removeMember(id: String) async throws -> Member
}

public protocol IssueStore: Sendable {
    func createIssue(_ draft: NewIssue) async throws -> Issue
    func issue(id: String) async throws -> Issue?
    /// Issues of the workspace, by position then age; optionally of one status and/or
    /// one assignee id.
    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) async throws -> [Issue]
    /// Stores every mutable field of `issue` (not `workspace_id` nor `created_at`),
    /// bumps `updated_at`, and returns the stored issue.
    func updateIssue(_ issue: Issue) async throws -> Issue
    @discardableResult
    func deleteIssue(id: String) async throws -> Issue
}

public protocol CommentStore: Sendable {
    func createComment(_ draft: NewComment) async throws -> Comment
    func comment(id: String) async throws -> Comment?
    /// Comments of the issue, oldest first.
    func comments(issue: String) async throws -> [Comment]
    func updateComment(id: String, content: String) async throws -> Comment
    @discardableResult
    func deleteComment(id: String) async throws -> Comment
}

public protocol AgentStore: Sendable {
    func createAgent(_ draft: NewAgent) async throws -> Agent
    func agent(id: String) async throws -> Agent?
    /// Agents of the workspace, oldest first.
    func agents(workspace: String) async throws -> [Agent]
    /// Stores every mutable field (not `workspace_id` nor `created_at`), bumps `updated_at`.
    func updateAgent(_ agent: Agent) async throws -> Agent
    @discardableResult
    func deleteAgent(id: String) async throws -> Agent
}

public protocol InboxStore: Sendable {
    func createInboxItem(_ draft: NewInboxItem) async throws -> InboxItem
    /// The recipient's items in the workspace that are not archived, newest first.
    func inboxItems(workspace: String, recipient: String) async throws -> [InboxItem]
    func inboxItem(id: String) async throws -> InboxItem?
    func markInboxRead(id: String) async throws -> InboxItem
    func archiveInboxItem(id: String) async throws -> InboxItem
}

public protocol TaskStore: Sendable {
    /// Queues a task; `priority` is 0…4 (`IssuePriority.taskPriority`).
    func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) async throws -> AgentTask
    /// Dispatches the agent's next queued task (highest priority, then oldest), or
    /// returns nil when none is queued or the agent already has `max_concurrent_tasks`
    /// tasks dispatched or running. One write transaction.
    func claimTask(agentID: String) async throws -> AgentTask?
    func task(id: String) async throws -> AgentTask?
    /// Tasks of an issue, oldest first.
    func tasks(issueID: String) async throws -> [AgentTask]
    /// dispatched → running; `.invalid` from any other state.
    func startTask(id: String) async throws -> AgentTask
    /// dispatched/running → completed; `.invalid` from any other state.
    func completeTask(id: String, result: String?) async throws -> AgentTask
    /// dispatched/running → failed; `.invalid` from any other state.
    func failTask(id: String, error: String?) async throws -> AgentTask
    /// Cancels the issue's queued, dispatched and running tasks; returns them as cancelled.
    func cancelOpenTasks(issueID: String) async throws -> [AgentTask]
    /// How many of the agent's tasks are dispatched or running.
    func activeTaskCount(agentID: String) async throws -> Int
}

/// Everything the server needs from storage besides the event log.
public protocol Repository: UserStore, WorkspaceStore, MemberStore, IssueStore, CommentStore, AgentStore, InboxStore,
    TaskStore {
    /// True when the backing store answers a trivial read (for `/readyz`).
    func isReachable() async -> Bool
}
