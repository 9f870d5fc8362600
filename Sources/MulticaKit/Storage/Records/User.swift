import Foundation

/// A user, created from a token's `sub` on first authenticated request (SPEC §3).
public struct User: Sendable, Codable, Hashable {
    public var id: String
    public var email: String?
    public var name: String?
    public var createdAt: Date

    public init(id: String, email: String?, name: String?, createdAt: Date) {
        self.id = id
        self.email = email
        self.name = name
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, email, name
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(createdAt, forKey: .createdAt)
    }
}
