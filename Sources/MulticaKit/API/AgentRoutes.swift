import Foundation
import Hummingbird

/// `/api/agents` and `/api/agents/{id}` (SPEC §6). Any member lists agents (a
/// `private` agent only for its owner and the owners/admins); only an owner or admin
/// creates, changes or deletes one. The catalog has no `agent:updated`: a change is
/// announced as `agent:status` {agent}.
struct AgentRoutes {
    let api: APIContext

    static let maxConcurrentTasks = 1...100

    struct Body: Decodable, Sendable {
        var workspaceID: Patch<String>
        var name: Patch<String>
        var description: Patch<String>
        var avatarURL: Patch<String>
        var runtimeMode: Patch<StrictEnum<AgentRuntimeMode>>
        var visibility: Patch<StrictEnum<AgentVisibility>>
        var status: Patch<StrictEnum<AgentStatus>>
        var maxConcurrentTasks: Patch<Int>
        var ownerID: Patch<String>
        var skills: Patch<String>
        var tools: Patch<[JSONValue]>
        var triggers: Patch<[JSONValue]>

        enum CodingKeys: String, CodingKey {
            case name, description, visibility, status, skills, tools, triggers
            case workspaceID = "workspace_id"
            case avatarURL = "avatar_url"
            case runtimeMode = "runtime_mode"
            case maxConcurrentTasks = "max_concurrent_tasks"
            case ownerID = "owner_id"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            workspaceID = try c.patch(String.self, forKey: .workspaceID)
            name = try c.patch(String.self, forKey: .name)
            description = try c.patch(String.self, forKey: .description)
            avatarURL = try c.patch(String.self, forKey: .avatarURL)
            runtimeMode = try c.patch(StrictEnum<AgentRuntimeMode>.self, forKey: .runtimeMode)
            visibility = try c.patch(StrictEnum<AgentVisibility>.self, forKey: .visibility)
            status = try c.patch(StrictEnum<AgentStatus>.self, forKey: .status)
            maxConcurrentTasks = try c.patch(Int.self, forKey: .maxConcurrentTasks)
            ownerID = try c.patch(String.self, forKey: .ownerID)
            skills = try c.patch(String.self, forKey: .skills)
            tools = try c.patch([JSONValue].self, forKey: .tools)
            triggers = try c.patch([JSONValue].self, forKey: .triggers)
        }

        func apply(to agent: inout Agent) throws {
            agent.name = try name.required("name", current: agent.name).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !agent.name.isEmpty, agent.name.count <= 200 else {
                throw APIError.badRequest("field 'name' must be 1 to 200 characters")
            }
            agent.description = try description.required("description", current: agent.description)
            agent.avatarURL = avatarURL.nullable(current: agent.avatarURL)
            agent.runtimeMode = try runtimeMode.required("runtime_mode", current: StrictEnum(agent.runtimeMode)).value
            agent.visibility = try visibility.required("visibility", current: StrictEnum(agent.visibility)).value
            agent.status = try status.required("status", current: StrictEnum(agent.status)).value
            agent.maxConcurrentTasks = try maxConcurrentTasks.required("max_concurrent_tasks", current: agent.maxConcurrentTasks)
            guard AgentRoutes.maxConcurrentTasks.contains(agent.maxConcurrentTasks) else {
                let range = AgentRoutes.maxConcurrentTasks
                throw APIError.badRequest("field 'max_concurrent_tasks' must be from \(range.lowerBound) to \(range.upperBound)")
            }
            agent.ownerID = ownerID.nullable(current: agent.ownerID)
            agent.skills = try skills.required("skills", current: agent.skills)
            agent.tools = try tools.required("tools", current: agent.tools)
            agent.triggers = try triggers.required("triggers", current: agent.triggers)
        }
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/agents") { request, context in
            let caller = try context.caller()
            let workspace = try RequestWorkspace.required(request)
            let member = try await api.access.member(of: workspace, caller)
            let agents = try await api.repository.agents(workspace: workspace).filter { Self.isVisible($0, to: member) }
            return try JSONResponse.encode(agents)
        }
        router.get("/api/agents/{id}") { _, context in
            let (agent, member) = try await api.agent(try context.parameters.require("id"), for: try context.caller())
            guard Self.isVisible(agent, to: member) else { throw APIError.notFound("agent") }
            return try JSONResponse.versioned(agent)
        }
        router.post("/api/agents") { request, context in try await create(request, context) }
        router.put("/api/agents/{id}") { request, context in try await update(request, context) }
        router.delete("/api/agents/{id}") { request, context in try await delete(request, context) }
    }

    static func isVisible(_ agent: Agent, to member: Member) -> Bool {
        agent.visibility == .workspace || agent.ownerID == member.userID || AccessControl.managers.contains(member.role)
    }

    private func create(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let body = try await RequestBody.decode(Body.self, from: request)
        var bodyWorkspace: String?
        if case .value(let value) = body.workspaceID { bodyWorkspace = value }
        let workspace = try RequestWorkspace.required(request, body: bodyWorkspace)
        guard body.name.isPresent else { throw APIError.badRequest("field 'name' is required") }
        let now = Date()
        var draft = Agent(
            id: "", workspaceID: workspace, name: "", description: "", avatarURL: nil, runtimeMode: .local,
            visibility: .workspace, status: .idle, maxConcurrentTasks: 1, ownerID: caller.userID, skills: "", tools: [],
            triggers: [], createdAt: now, updatedAt: now
        )
        try body.apply(to: &draft)
        let valid = draft
        let agent = try await api.unit { unit in
            try unit.member(of: workspace, caller, roles: AccessControl.managers)
            try Self.validateOwner(valid, in: unit)
            let agent = try unit.createAgent(
                NewAgent(
                    workspaceID: workspace, name: valid.name, description: valid.description, avatarURL: valid.avatarURL,
                    runtimeMode: valid.runtimeMode, visibility: valid.visibility, status: valid.status,
                    maxConcurrentTasks: valid.maxConcurrentTasks, ownerID: valid.ownerID, skills: valid.skills,
                    tools: valid.tools, triggers: valid.triggers
                )
            )
            try EventBatch(unit, workspace: workspace, by: caller).add(.agentCreated, [("agent", agent)])
            return agent
        }
        return try JSONResponse.versioned(agent, status: .created)
    }

    private func update(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let precondition = try IfMatch.parse(request)
        let body = try await RequestBody.decode(Body.self, from: request)
        let agent = try await api.unit { unit in
            let (old, _) = try unit.agent(id, for: caller)
            try unit.member(of: old.workspaceID, caller, roles: AccessControl.managers)
            try precondition.check(old)
            if case .value(let workspace) = body.workspaceID, workspace != old.workspaceID {
                throw APIError.badRequest("field 'workspace_id': an agent cannot move to another workspace")
            }
            var draft = old
            try body.apply(to: &draft)
            if draft.ownerID != old.ownerID { try Self.validateOwner(draft, in: unit) }
            let agent = try unit.updateAgent(draft)
            try EventBatch(unit, workspace: agent.workspaceID, by: caller).add(.agentStatus, [("agent", agent)])
            return agent
        }
        return try JSONResponse.versioned(agent)
    }

    /// Deletes the agent (its tasks go with it) and unassigns its issues:
    /// `agent:deleted`, then `issue:updated` for each issue it was assigned.
    private func delete(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let precondition = try IfMatch.parse(request)
        try await api.unit { unit in
            let (agent, _) = try unit.agent(id, for: caller)
            try unit.member(of: agent.workspaceID, caller, roles: AccessControl.managers)
            try precondition.check(agent)
            let assigned = try unit.issues(workspace: agent.workspaceID, status: nil, assignee: agent.id, limit: nil)
                .filter { $0.assigneeType == .agent }
            _ = try unit.deleteAgent(id: agent.id)
            let batch = EventBatch(unit, workspace: agent.workspaceID, by: caller)
            try batch.add(.agentDeleted, [("agent_id", agent.id), ("workspace_id", agent.workspaceID)])
            for var issue in assigned {
                issue.assigneeType = nil
                issue.assigneeID = nil
                try batch.add(.issueUpdated, [("issue", try unit.updateIssue(issue))])
            }
        }
        return Response(status: .noContent)
    }

    private static func validateOwner(_ agent: Agent, in unit: any UnitOfWork) throws {
        guard let owner = agent.ownerID else { return }
        guard try unit.membership(workspace: agent.workspaceID, user: owner) != nil else {
            throw APIError.badRequest("field 'owner_id': no member '\(owner)' in this workspace")
        }
    }
}
