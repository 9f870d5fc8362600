import Foundation

/// An issue, with every field of the SPEC §5 issue shape.
public struct Issue: Sendable, Codable, Hashable {
    public var id: String
    public var workspaceID: String
    public var title: String
    public var description: String?
    public var status: IssueStatus
    public var priority: IssuePriority
    public var assigneeType: AssigneeType?
    public var assigneeID: String?
    public var creatorType: ActorType
    public var creatorID: String
    public var parentIssueID: String?
    public var acceptanceCriteria: [String]
    public var contextRefs: [JSONValue]
    public var position: Double
    public var dueDate: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// 1 on create, +1 per change; sent as `ETag` and checked against `If-Match` (SPEC §4).
    public var version: Int

    public init(
        id: String, workspaceID: String, title: String, description: String?, status: IssueStatus,
        priority: IssuePriority, assigneeType: AssigneeType?, assigneeID: String?, creatorType: ActorType,
        creatorID: String, parentIssueID: String?, acceptanceCriteria: [String], contextRefs: [JSONValue],
        position: Double, dueDate: Date?, createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.assigneeType = assigneeType
        self.assigneeID = assigneeID
        self.creatorType = creatorType
        self.creatorID = creatorID
        self.parentIssueID = parentIssueID
        self.acceptanceCriteria = acceptanceCriteria
        self.contextRefs = contextRefs
        self.position = position
        self.dueDate = dueDate
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, title, description, status, priority, position
        case workspaceID = "workspace_id"
        case assigneeType = "assignee_type"
        case assigneeID = "assignee_id"
        case creatorType = "creator_type"
        case creatorID = "creator_id"
        case parentIssueID = "parent_issue_id"
        case acceptanceCriteria = "acceptance_criteria"
        case contextRefs = "context_refs"
        case dueDate = "due_date"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case version
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(title, forKey: .title)
        try c.encode(description, forKey: .description)
        try c.encode(status, forKey: .status)
        try c.encode(priority, forKey: .priority)
        try c.encode(assigneeType, forKey: .assigneeType)
        try c.encode(assigneeID, forKey: .assigneeID)
        try c.encode(creatorType, forKey: .creatorType)
        try c.encode(creatorID, forKey: .creatorID)
        try c.encode(parentIssueID, forKey: .parentIssueID)
        try c.encode(acceptanceCriteria, forKey: .acceptanceCriteria)
        try c.encode(contextRefs, forKey: .contextRefs)
        try c.encode(position, forKey: .position)
        try c.encode(dueDate, forKey: .dueDate)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(version, forKey: .version)
    }
}

/// What a caller supplies to create an issue; the store assigns id and timestamps.
public struct NewIssue: Sendable, Hashable {
    public var workspaceID: String
    public var title: String
    public var description: String?
    public var status: IssueStatus
    public var priority: IssuePriority
    public var assigneeType: AssigneeType?
    public var assigneeID: String?
    public var creatorType: ActorType
    public var creatorID: String
    public var parentIssueID: String?
    public var acceptanceCriteria: [String]
    public var contextRefs: [JSONValue]
    /// `nil`: after the last issue of the workspace (max position + 1).
    public var position: Double?
    public var dueDate: Date?

    public init(
        workspaceID: String, title: String, creatorType: ActorType, creatorID: String,
        description: String? = nil, status: IssueStatus = .backlog, priority: IssuePriority = .none,
        assigneeType: AssigneeType? = nil, assigneeID: String? = nil, parentIssueID: String? = nil,
        acceptanceCriteria: [String] = [], contextRefs: [JSONValue] = [], position: Double? = nil, dueDate: Date? = nil
    ) {
        self.workspaceID = workspaceID
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.assigneeType = assigneeType
        self.assigneeID = assigneeID
        self.creatorType = creatorType
        self.creatorID = creatorID
        self.parentIssueID = parentIssueID
        self.acceptanceCriteria = acceptanceCriteria
        self.contextRefs = contextRefs
        self.position = position
        self.dueDate = dueDate
    }
}
