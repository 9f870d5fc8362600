import Foundation

/// A membership: `id, workspace_id, user_id, role, created_at, name, email`.
/// `name` and `email` come from the user row and may be null.
public struct Member: Sendable, Codable, Hashable {
    public var id: String
    public var workspaceID: String
    public var userID: String
    public var role: MemberRole
    public var createdAt: Date
    public var name: String?
    public var email: String?

    public init(
        id: String, workspaceID: String, userID: String, role: MemberRole, createdAt: Date,
        name: String?, email: String?
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.userID = userID
        self.role = role
        self.createdAt = createdAt
        self.name = name
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case id, role, name, email
        case workspaceID = "workspace_id"
        case userID = "user_id"
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(userID, forKey: .userID)
        try c.encode(role, forKey: .role)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(name, forKey: .name)
        try c.encode(email, forKey: .email)
    }
}
