import Foundation

/// A comment on an issue: `id, issue_id, author_type, author_id, content, type, created_at, updated_at`.
public struct Comment: Sendable, Codable, Hashable {
    public var id: String
    public var issueID: String
    public var authorType: ActorType
    public var authorID: String
    public var content: String
    public var type: CommentType
    public var createdAt: Date
    public var updatedAt: Date
    /// 1 on create, +1 per change; sent as `ETag` and checked against `If-Match` (SPEC §4).
    public var version: Int

    public init(
        id: String, issueID: String, authorType: ActorType, authorID: String, content: String,
        type: CommentType, createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.id = id
        self.issueID = issueID
        self.authorType = authorType
        self.authorID = authorID
        self.content = content
        self.type = type
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, content, type
        case issueID = "issue_id"
        case authorType = "author_type"
        case authorID = "author_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case version
    }
}

/// What a caller supplies to create a comment.
public struct NewComment: Sendable, Hashable {
    public var issueID: String
    public var authorType: ActorType
    public var authorID: String
    public var content: String
    public var type: CommentType

    public init(issueID: String, authorType: ActorType, authorID: String, content: String, type: CommentType = .comment) {
        self.issueID = issueID
        self.authorType = authorType
        self.authorID = authorID
        self.content = content
        self.type = type
    }
}
