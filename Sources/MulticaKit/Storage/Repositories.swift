import Foundation

// The read side of the repositories of SPEC §4: protocols owned by MulticaKit, with no
// SQL or database type in them. Every change goes through a unit of work
// (`UnitOfWork`, run by `EventPublisher.unit`), never through these. Every failure is
// a `StorageError`.
//
// Threading: every method is `async` and must not block a thread of Swift's
// cooperative pool (the SQLite backend reads on GRDB's reader pool).

public protocol UserStore: Sendable {
    /// Inserts the user, or updates the email and name that are not nil. The one write
    /// outside a unit of work: a user row is bookkeeping of authentication (SPEC §3)
    /// that no event describes.
    @discardableResult
    func upsertUser(id: String, email: String?, name: String?) async throws -> User
    func user(id: String) async throws -> User?
}

public protocol WorkspaceStore: Sendable {
    /// The workspaces `user` is a member of, oldest first.
    func workspaces(forUser user: String) async throws -> [Workspace]
    func allWorkspaces() async throws -> [Workspace]
    func workspace(id: String) async throws -> Workspace?
}

public protocol MemberStore: Sendable {
    /// Members of the workspace, oldest first.
    func members(workspace: String) async throws -> [Member]
    func member(id: String) async throws -> Member?
    /// The membership of `user` in `workspace`, if any (one indexed lookup; auth hot path).
    func membership(workspace: String, user: String) async throws -> Member?
}

public protocol IssueStore: Sendable {
    func issue(id: String) async throws -> Issue?
    /// Issues of the workspace, by position then age; optionally of one status and/or
    /// one assignee id.
    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) async throws -> [Issue]
    func comment(id: String) async throws -> Comment?
    /// Comments of the issue, oldest first.
    func comments(issue: String) async throws -> [Comment]
}

public protocol AgentStore: Sendable {
    func agent(id: String) async throws -> Agent?
    /// Agents of the workspace, oldest first.
    func agents(workspace: String) async throws -> [Agent]
}

public protocol InboxStore: Sendable {
    /// The recipient's items in the workspace that are not archived, newest first.
    func inboxItems(workspace: String, recipient: String) async throws -> [InboxItem]
    func inboxItem(id: String) async throws -> InboxItem?
}

public protocol TaskStore: Sendable {
    func task(id: String) async throws -> AgentTask?
    /// Tasks of an issue, oldest first.
    func tasks(issueID: String) async throws -> [AgentTask]
}

/// Everything the server reads from storage besides the event log.
public protocol Repository: UserStore, WorkspaceStore, MemberStore, IssueStore, AgentStore, InboxStore, TaskStore {
    /// True when the backing store answers a trivial read (for `/readyz`).
    func isReachable() async -> Bool
}
