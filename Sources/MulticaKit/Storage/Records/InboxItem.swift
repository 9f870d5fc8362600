import Foundation

/// An inbox item: `id, workspace_id, recipient_type, recipient_id, type, severity,
/// issue_id?, title, body?, read, archived, created_at`.
public struct InboxItem: Sendable, Codable, Hashable {
    public var id: String
    public var workspaceID: String
    public var recipientType: RecipientType
    public var recipientID: String
    /// `issue_assigned`, `status_change`, `mentioned`, `review_requested`, `agent_blocked`, …
    public var type: String
    public var severity: InboxSeverity
    public var issueID: String?
    public var title: String
    public var body: String?
    public var read: Bool
    public var archived: Bool
    public var createdAt: Date

    public init(
        id: String, workspaceID: String, recipientType: RecipientType, recipientID: String, type: String,
        severity: InboxSeverity, issueID: String?, title: String, body: String?, read: Bool, archived: Bool,
        createdAt: Date
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.recipientType = recipientType
        self.recipientID = recipientID
        self.type = type
        self.severity = severity
        self.issueID = issueID
        self.title = title
        self.body = body
        self.read = read
        self.archived = archived
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, type, severity, title, body, read, archived
        case workspaceID = "workspace_id"
        case recipientType = "recipient_type"
        case recipientID = "recipient_id"
        case issueID = "issue_id"
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(recipientType, forKey: .recipientType)
        try c.encode(recipientID, forKey: .recipientID)
        try c.encode(type, forKey: .type)
        try c.encode(severity, forKey: .severity)
        try c.encode(issueID, forKey: .issueID)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(read, forKey: .read)
        try c.encode(archived, forKey: .archived)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

/// What a caller supplies to create an inbox item.
public struct NewInboxItem: Sendable, Hashable {
    public var workspaceID: String
    public var recipientType: RecipientType
    public var recipientID: String
    public var type: String
    public var severity: InboxSeverity
    public var issueID: String?
    public var title: String
    public var body: String?

    public init(
        workspaceID: String, recipientType: RecipientType, recipientID: String, type: String,
        severity: InboxSeverity, title: String, issueID: String? = nil, body: String? = nil
    ) {
        self.workspaceID = workspaceID
        self.recipientType = recipientType
        self.recipientID = recipientID
        self.type = type
        self.severity = severity
        self.issueID = issueID
        self.title = title
        self.body = body
    }
}
