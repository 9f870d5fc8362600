import Foundation
import Hummingbird

/// `/api/issues` and `/api/issues/{id}` (SPEC §6): any member of the issue's
/// workspace. Changes publish `issue:*`, then the `inbox:new` of the §6 triggers,
/// then `agent:status` for agents released by cancelled tasks — one publish per request.
struct IssueRoutes {
    let api: APIContext

    static let maxTitleLength = 500

    /// The body of POST and PUT. PUT changes only the members present; `null` clears
    /// a nullable one.
    struct Body: Decodable, Sendable {
        var workspaceID: Patch<String>
        var title: Patch<String>
        var description: Patch<String>
        var status: Patch<StrictEnum<IssueStatus>>
        var priority: Patch<StrictEnum<IssuePriority>>
        var assigneeType: Patch<StrictEnum<AssigneeType>>
        var assigneeID: Patch<String>
        var parentIssueID: Patch<String>
        var acceptanceCriteria: Patch<[String]>
        var contextRefs: Patch<[JSONValue]>
        var position: Patch<Double>
        var dueDate: Patch<Date>

        enum CodingKeys: String, CodingKey {
            case title, description, status, priority, position
            case workspaceID = "workspace_id"
            case assigneeType = "assignee_type"
            case assigneeID = "assignee_id"
            case parentIssueID = "parent_issue_id"
            case acceptanceCriteria = "acceptance_criteria"
            case contextRefs = "context_refs"
            case dueDate = "due_date"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            workspaceID = try c.patch(String.self, forKey: .workspaceID)
            title = try c.patch(String.self, forKey: .title)
            description = try c.patch(String.self, forKey: .description)
            status = try c.patch(StrictEnum<IssueStatus>.self, forKey: .status)
            priority = try c.patch(StrictEnum<IssuePriority>.self, forKey: .priority)
            assigneeType = try c.patch(StrictEnum<AssigneeType>.self, forKey: .assigneeType)
            assigneeID = try c.patch(String.self, forKey: .assigneeID)
            parentIssueID = try c.patch(String.self, forKey: .parentIssueID)
            acceptanceCriteria = try c.patch([String].self, forKey: .acceptanceCriteria)
            contextRefs = try c.patch([JSONValue].self, forKey: .contextRefs)
            position = try c.patch(Double.self, forKey: .position)
            dueDate = try c.patch(Date.self, forKey: .dueDate)
        }

        /// Applies the body to `issue` (a blank draft on create) and validates the
        /// fields that need no storage lookup.
        func apply(to issue: inout Issue) throws {
            issue.title = try title.required("title", current: issue.title).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !issue.title.isEmpty, issue.title.count <= IssueRoutes.maxTitleLength else {
                throw APIError.badRequest("field 'title' must be 1 to \(IssueRoutes.maxTitleLength) characters")
            }
            issue.description = description.nullable(current: issue.description)
            issue.status = try status.required("status", current: StrictEnum(issue.status)).value
            issue.priority = try priority.required("priority", current: StrictEnum(issue.priority)).value
            guard assigneeType.isPresent == assigneeID.isPresent else {
                throw APIError.badRequest("fields 'assignee_type' and 'assignee_id' go together: give both or neither")
            }
            let type = assigneeType.nullable(current: issue.assigneeType.map(StrictEnum.init))?.value
            let id = assigneeID.nullable(current: issue.assigneeID)
            guard (type == nil) == (id == nil) else {
                throw APIError.badRequest("fields 'assignee_type' and 'assignee_id' must both be null or both be set")
            }
            if let id, id.trimmingCharacters(in: .whitespaces).isEmpty {
                throw APIError.badRequest("field 'assignee_id' must not be blank")
            }
            issue.assigneeType = type
            issue.assigneeID = id
            issue.parentIssueID = parentIssueID.nullable(current: issue.parentIssueID)
            issue.acceptanceCriteria = try acceptanceCriteria.required("acceptance_criteria", current: issue.acceptanceCriteria)
            issue.contextRefs = try contextRefs.required("context_refs", current: issue.contextRefs)
            issue.position = try position.required("position", current: issue.position)
            guard issue.position.isFinite else { throw APIError.badRequest("field 'position' must be a finite number") }
            issue.dueDate = dueDate.nullable(current: issue.dueDate)
        }
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/issues") { request, context in try await list(request, context) }
        router.post("/api/issues") { request, context in try await create(request, context) }
        router.get("/api/issues/{id}") { _, context in
            let (issue, _) = try await api.issue(try context.parameters.require("id"), for: try context.caller())
            return try JSONResponse.encode(issue)
        }
        router.put("/api/issues/{id}") { request, context in try await update(request, context) }
        router.delete("/api/issues/{id}") { _, context in try await delete(context) }
    }

    private func list(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let workspace = try RequestWorkspace.required(request)
        let query = request.uri.queryParameters
        var status: IssueStatus?
        if let raw = query["status"].map(String.init) {
            guard let value = IssueStatus(rawValue: raw) else {
                let allowed = IssueStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("status: unknown value '\(raw)' (expected one of: \(allowed))")
            }
            status = value
        }
        let limit = try query["limit"].map { Int(try EventRoutes.integer(String($0), name: "limit", default: 0, range: 1...10_000)) }
        _ = try await api.access.member(of: workspace, caller)
        let issues = try await api.repository.issues(
            workspace: workspace, status: status, assignee: query["assignee_id"].map(String.init), limit: limit
        )
        return try JSONResponse.encode(issues)
    }

    private func create(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let body = try await RequestBody.decode(Body.self, from: request)
        let bodyWorkspace: String?
        switch body.workspaceID {
        case .absent, .null: bodyWorkspace = nil
        case .value(let value): bodyWorkspace = value
        }
        let workspace = try RequestWorkspace.required(request, body: bodyWorkspace)
        _ = try await api.access.member(of: workspace, caller)
        let now = Date()
        var draft = Issue(
            id: "", workspaceID: workspace, title: "", description: nil, status: .backlog, priority: .none,
            assigneeType: nil, assigneeID: nil, creatorType: .member, creatorID: caller.userID, parentIssueID: nil,
            acceptanceCriteria: [], contextRefs: [], position: 0, dueDate: nil, createdAt: now, updatedAt: now
        )
        guard body.title.isPresent else { throw APIError.badRequest("field 'title' is required") }
        try body.apply(to: &draft)
        try await validateReferences(draft)
        let issue = try await api.repository.createIssue(
            NewIssue(
                workspaceID: workspace, title: draft.title, creatorType: .member, creatorID: caller.userID,
                description: draft.description, status: draft.status, priority: draft.priority,
                assigneeType: draft.assigneeType, assigneeID: draft.assigneeID, parentIssueID: draft.parentIssueID,
                acceptanceCriteria: draft.acceptanceCriteria, contextRefs: draft.contextRefs,
                position: body.position.isPresent ? draft.position : nil, dueDate: draft.dueDate
            )
        )
        try await api.tasks.issueChanged(from: nil, to: issue)
        var batch = EventBatch(workspace: workspace, actorType: .member, actorID: caller.userID)
        try batch.add(.issueCreated, [("issue", issue)])
        try batch.add(inbox: try await api.tasks.store(InboxService.issueCreated(issue, actor: caller.userID)))
        try await api.publish(batch)
        return try JSONResponse.encode(issue, status: .created)
    }

    private func update(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let (old, _) = try await api.issue(try context.parameters.require("id"), for: caller)
        let body = try await RequestBody.decode(Body.self, from: request)
        if case .value(let workspace) = body.workspaceID, workspace != old.workspaceID {
            throw APIError.badRequest("field 'workspace_id': an issue cannot move to another workspace")
        }
        var draft = old
        try body.apply(to: &draft)
        if draft.parentIssueID == old.id { throw APIError.badRequest("field 'parent_issue_id': an issue cannot be its own parent") }
        if draft.assigneeType != old.assigneeType || draft.assigneeID != old.assigneeID || draft.parentIssueID != old.parentIssueID {
            try await validateReferences(draft)
        }
        let issue = try await api.repository.updateIssue(draft)
        let (released, _) = try await api.tasks.issueChanged(from: old, to: issue)
        var batch = EventBatch(workspace: issue.workspaceID, actorType: .member, actorID: caller.userID)
        try batch.add(.issueUpdated, [("issue", issue)])
        try batch.add(inbox: try await api.tasks.store(InboxService.issueUpdated(from: old, to: issue, actor: caller.userID)))
        try batch.add(agentStatus: released)
        try await api.publish(batch)
        return try JSONResponse.encode(issue)
    }

    private func delete(_ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let (issue, _) = try await api.issue(try context.parameters.require("id"), for: caller)
        let released = try await api.tasks.cancelOpenTasks(issueID: issue.id)
        try await api.repository.deleteIssue(id: issue.id)
        var batch = EventBatch(workspace: issue.workspaceID, actorType: .member, actorID: caller.userID)
        try batch.add(.issueDeleted, [("issue_id", issue.id)])
        try batch.add(agentStatus: released)
        try await api.publish(batch)
        return Response(status: .noContent)
    }

    /// The assignee and the parent issue must belong to the issue's workspace.
    private func validateReferences(_ issue: Issue) async throws {
        try await api.validateAssignee(type: issue.assigneeType, id: issue.assigneeID, in: issue.workspaceID)
        if let parent = issue.parentIssueID {
            guard let stored = try await api.repository.issue(id: parent), stored.workspaceID == issue.workspaceID else {
                throw APIError.badRequest("field 'parent_issue_id': no issue '\(parent)' in this workspace")
            }
        }
    }
}

extension StrictEnum {
    init(_ value: E) { self.value = value }
}
