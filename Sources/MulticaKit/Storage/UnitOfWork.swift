import Foundation

/// One request's access to storage: the rows it reads and changes and the events it
/// causes, all inside **one** write transaction (SPEC §4, "One request, one unit of work").
///
/// A handler gets a unit from `EventPublisher.unit(_:)`, reads what decides its write
/// (the current issue for a PUT, the claimable task, the membership for a removal),
/// changes rows, and appends its events. Either everything commits, with consecutive
/// `seq`s per workspace, or nothing does; the events are delivered only after commit.
///
/// Threading: a unit runs synchronously on the backend's serial writer thread, never on
/// Swift's cooperative pool. Its methods block only on the database. The handle is valid
/// only inside the closure it was passed to: do not keep or send it elsewhere.
///
/// Failure: every method throws `StorageError` (`.notFound`, `.conflict`, `.invalid`,
/// `.unavailable`); a closure may throw its own errors (an `APIError`) too. Whatever is
/// thrown rolls back the whole unit — rows and events — and reaches the caller as is.
///
/// No SQL or database type crosses this seam: SQLite and PostgreSQL implement it.
public protocol UnitOfWork: AnyObject {
    // MARK: Workspaces and members

    func workspace(id: String) throws -> Workspace?
    /// Creates the workspace and its owner's membership (creating the owner's user row
    /// if missing). `.conflict` when the slug is taken.
    func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) throws -> (Workspace, Member)
    /// Stores the mutable fields (name, description, settings), bumps `updated_at` and `version`.
    func updateWorkspace(_ workspace: Workspace) throws -> Workspace
    /// Deletes the workspace and, by cascade, everything in it; returns it as it was.
    func deleteWorkspace(id: String) throws -> Workspace

    /// Members of the workspace, oldest first.
    func members(workspace: String) throws -> [Member]
    func member(id: String) throws -> Member?
    func membership(workspace: String, user: String) throws -> Member?
    /// `user`'s memberships of `workspaces`, keyed by workspace id (absent: not a
    /// member), read in one go — one round trip on PostgreSQL, where a batch of events
    /// may name many workspaces — and protected like `membership` against a concurrent
    /// removal until the unit ends.
    func memberships(user: String, workspaces: [String]) throws -> [String: Member]
    /// Whether `user` is a member of every workspace in `workspaces`, with the same
    /// protection as `memberships`. For checks that need no row: on SQLite it reads the
    /// `(workspace_id, user_id)` index only, where decoding a whole member row (with its
    /// user's name and email) was 6% of the server's CPU under one-event POSTs.
    func isMember(user: String, ofAll workspaces: [String]) throws -> Bool
    /// `.conflict` if already a member, `.notFound` if there is no such workspace.
    func addMember(workspace: String, userID: String, role: MemberRole) throws -> Member
    /// Removes the membership and returns it as it was.
    func removeMember(id: String) throws -> Member

    // MARK: Issues and comments

    func issue(id: String) throws -> Issue?
    /// Issues of the workspace, by position then age; optionally of one status and/or assignee id.
    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) throws -> [Issue]
    func createIssue(_ draft: NewIssue) throws -> Issue
    /// Stores every mutable field of `issue` (not `workspace_id` nor `created_at`),
    /// bumps `updated_at` and `version`, and returns the stored issue.
    func updateIssue(_ issue: Issue) throws -> Issue
    /// `updateIssue(_:)` for a unit that has just read the issue as `stored` itself: the
    /// row is not read again unless it changed meanwhile (its `version` tells).
    func updateIssue(_ issue: Issue, stored: Issue) throws -> Issue
    func deleteIssue(id: String) throws -> Issue

    func comment(id: String) throws -> Comment?
    func createComment(_ draft: NewComment) throws -> Comment
    /// Stores the content, bumps `updated_at` and `version`.
    func updateComment(_ comment: Comment) throws -> Comment
    func deleteComment(id: String) throws -> Comment

    // MARK: Agents, inbox, tasks

    func agent(id: String) throws -> Agent?
    func createAgent(_ draft: NewAgent) throws -> Agent
    /// Stores every mutable field (not `workspace_id` nor `created_at`), bumps `updated_at` and `version`.
    func updateAgent(_ agent: Agent) throws -> Agent
    func deleteAgent(id: String) throws -> Agent

    func inboxItem(id: String) throws -> InboxItem?
    func createInboxItem(_ draft: NewInboxItem) throws -> InboxItem
    func markInboxRead(id: String) throws -> InboxItem
    func archiveInboxItem(id: String) throws -> InboxItem

    func task(id: String) throws -> AgentTask?
    /// Queues a task; `priority` is 0…4 (`IssuePriority.taskPriority`).
    func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) throws -> AgentTask
    /// Dispatches the agent's next queued task (highest priority, then oldest), or nil
    /// when none is queued or the agent already has `max_concurrent_tasks` active.
    func claimTask(agentID: String) throws -> AgentTask?
    /// Stores the task's status, timestamps, result and error.
    func updateTask(_ task: AgentTask) throws -> AgentTask
    /// The issue's queued, dispatched and running tasks, oldest first.
    func openTasks(issueID: String) throws -> [AgentTask]
    /// How many of the agent's tasks are dispatched or running.
    func activeTaskCount(agentID: String) throws -> Int

    // MARK: Events

    /// Appends an event the unit causes. Its `seq` is assigned inside this transaction
    /// (consecutive with the unit's other events of the same workspace); it reaches the
    /// bus only after commit, and the caller gets it back in `Committed.events`.
    func append(_ event: NewEvent)
}

/// What a committed unit produced: the closure's value and its events with their `seq`,
/// in the order they were appended.
public struct Committed<Value: Sendable>: Sendable {
    public var value: Value
    public var events: [EventEnvelope]

    public init(value: Value, events: [EventEnvelope]) {
        self.value = value
        self.events = events
    }
}

/// The work of one unit, type-erased so that units of different result types share a commit.
public typealias UnitBody = @Sendable (any UnitOfWork) throws -> any Sendable

/// What a backend reports for one unit of a group.
public enum UnitOutcome: Sendable {
    /// The unit's closure returned; its events are stored with their `seq`.
    case committed(value: any Sendable, events: [EventEnvelope])
    /// The unit's closure (or the append of its events) threw; nothing of it is stored.
    case failed(any Error)
}

/// The storage side of the unit-of-work seam: runs a group of units in one write
/// transaction (group commit).
///
/// Threading: `run(_:)` is called only from `EventPublisher`'s serial writer thread, so a
/// backend may block there (on SQLite's writer, or on a PostgreSQL connection's future)
/// without touching Swift's cooperative pool.
///
/// Contract: each unit runs in its own savepoint, in order, so a failing unit is rolled
/// back alone and never fails another. If the final commit itself fails, `run` throws and
/// nothing of the group is stored; the publisher then retries each unit alone.
public protocol TransactionalBackend: Sendable {
    func run(_ units: [UnitBody]) throws -> [UnitOutcome]
}

/// The log refused a unit's events although its closure succeeded (a broken trigger, a
/// full disk during the insert). Never the caller's fault, since requests are validated
/// before their events are appended: the unit is rolled back and the request answers 500.
public struct EventAppendFailed: Error, CustomStringConvertible {
    public let underlying: any Error

    public init(underlying: any Error) {
        self.underlying = underlying
    }

    public var description: String { "event append failed: \(underlying)" }
}

extension UnitOfWork {
    /// By `memberships` (PostgreSQL: one statement, rows locked `FOR SHARE`).
    public func isMember(user: String, ofAll workspaces: [String]) throws -> Bool {
        let found = try memberships(user: user, workspaces: workspaces)
        return workspaces.allSatisfy { found[$0] != nil }
    }
}
