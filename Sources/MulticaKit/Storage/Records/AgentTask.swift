import Foundation

/// A unit of work queued for an agent on an issue.
public struct AgentTask: Sendable, Codable, Hashable {
    public var id: String
    public var workspaceID: String
    public var agentID: String
    public var issueID: String
    public var status: TaskStatus
    /// 0 (none) … 4 (urgent); see `IssuePriority.taskPriority`.
    public var priority: Int
    public var createdAt: Date
    public var dispatchedAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    public var result: String?
    public var error: String?

    public init(
        id: String, workspaceID: String, agentID: String, issueID: String, status: TaskStatus, priority: Int,
        createdAt: Date, dispatchedAt: Date?, startedAt: Date?, completedAt: Date?, result: String?, error: String?
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.agentID = agentID
        self.issueID = issueID
        self.status = status
        self.priority = priority
        self.createdAt = createdAt
        self.dispatchedAt = dispatchedAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.result = result
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case id, status, priority, result, error
        case workspaceID = "workspace_id"
        case agentID = "agent_id"
        case issueID = "issue_id"
        case createdAt = "created_at"
        case dispatchedAt = "dispatched_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(agentID, forKey: .agentID)
        try c.encode(issueID, forKey: .issueID)
        try c.encode(status, forKey: .status)
        try c.encode(priority, forKey: .priority)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(dispatchedAt, forKey: .dispatchedAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(completedAt, forKey: .completedAt)
        try c.encode(result, forKey: .result)
        try c.encode(error, forKey: .error)
    }
}
