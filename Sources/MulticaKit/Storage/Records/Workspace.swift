import Foundation

/// A workspace (tenant): `id, name, slug, description?, settings{}, created_at, updated_at`.
public struct Workspace: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var slug: String
    public var description: String?
    public var settings: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date
    /// 1 on create, +1 per change; sent as `ETag` and checked against `If-Match` (SPEC §4).
    public var version: Int

    public init(
        id: String, name: String, slug: String, description: String?, settings: [String: JSONValue],
        createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.id = id
        self.name = name
        self.slug = slug
        self.description = description
        self.settings = settings
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, name, slug, description, settings
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case version
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(slug, forKey: .slug)
        try c.encode(description, forKey: .description)
        try c.encode(settings, forKey: .settings)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(version, forKey: .version)
    }
}
