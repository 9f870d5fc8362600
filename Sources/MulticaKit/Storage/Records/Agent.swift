import Foundation

/// An agent: `id, workspace_id, name, description, avatar_url?, runtime_mode, visibility,
/// status, max_concurrent_tasks, owner_id?, skills, tools[], triggers[], created_at, updated_at`.
public struct Agent: Sendable, Codable, Hashable {
    public var id: String
    public var workspaceID: String
    public var name: String
    public var description: String
    public var avatarURL: String?
    public var runtimeMode: AgentRuntimeMode
    public var visibility: AgentVisibility
    public var status: AgentStatus
    public var maxConcurrentTasks: Int
    public var ownerID: String?
    public var skills: String
    public var tools: [JSONValue]
    public var triggers: [JSONValue]
    public var createdAt: Date
    public var updatedAt: Date
    /// 1 on create, +1 per change; sent as `ETag` and checked against `If-Match` (SPEC §4).
    public var version: Int

    public init(
        id: String, workspaceID: String, name: String, description: String, avatarURL: String?,
        runtimeMode: AgentRuntimeMode, visibility: AgentVisibility, status: AgentStatus, maxConcurrentTasks: Int,
        ownerID: String?, skills: String, tools: [JSONValue], triggers: [JSONValue], createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.name = name
        self.description = description
        self.avatarURL = avatarURL
        self.runtimeMode = runtimeMode
        self.visibility = visibility
        self.status = status
        self.maxConcurrentTasks = maxConcurrentTasks
        self.ownerID = ownerID
        self.skills = skills
        self.tools = tools
        self.triggers = triggers
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, visibility, status, skills, tools, triggers
        case workspaceID = "workspace_id"
        case avatarURL = "avatar_url"
        case runtimeMode = "runtime_mode"
        case maxConcurrentTasks = "max_concurrent_tasks"
        case ownerID = "owner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case version
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(avatarURL, forKey: .avatarURL)
        try c.encode(runtimeMode, forKey: .runtimeMode)
        try c.encode(visibility, forKey: .visibility)
        try c.encode(status, forKey: .status)
        try c.encode(maxConcurrentTasks, forKey: .maxConcurrentTasks)
        try c.encode(ownerID, forKey: .ownerID)
        try c.encode(skills, forKey: .skills)
        try c.encode(tools, forKey: .tools)
        try c.encode(triggers, forKey: .triggers)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(version, forKey: .version)
    }
}

/// What a caller supplies to create an agent.
public struct NewAgent: Sendable, Hashable {
    public var workspaceID: String
    public var name: String
    public var description: String
    public var avatarURL: String?
    public var runtimeMode: AgentRuntimeMode
    public var visibility: AgentVisibility
    public var status: AgentStatus
    public var maxConcurrentTasks: Int
    public var ownerID: String?
    public var skills: String
    public var tools: [JSONValue]
    public var triggers: [JSONValue]

    public init(
        workspaceID: String, name: String, description: String = "", avatarURL: String? = nil,
        runtimeMode: AgentRuntimeMode = .local, visibility: AgentVisibility = .workspace, status: AgentStatus = .idle,
        maxConcurrentTasks: Int = 1, ownerID: String? = nil, skills: String = "", tools: [JSONValue] = [],
        triggers: [JSONValue] = []
    ) {
        self.workspaceID = workspaceID
        self.name = name
        self.description = description
        self.avatarURL = avatarURL
        self.runtimeMode = runtimeMode
        self.visibility = visibility
        self.status = status
        self.maxConcurrentTasks = maxConcurrentTasks
        self.ownerID = ownerID
        self.skills = skills
        self.tools = tools
        self.triggers = triggers
    }
}
