import Foundation
import Hummingbird

/// `/api/issues` and `/api/issues/{id}` (SPEC §6): any member of the issue's
/// workspace. A change is one unit of work: the issue, its inbox items and tasks, and
/// its events — `issue:*`, then the `inbox:new` of the §6 triggers, then `agent:status`
/// for agents released by cancelled tasks — commit together. PUT and DELETE honour
/// `If-Match` (412 with the current issue).
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
            issue.title = try title.required("title", current: issue.title).trimmingBlanksAndNewlines
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
            if let id, id.trimmingBlanks.isEmpty {
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
            return try JSONResponse.versioned(issue)
        }
        router.put("/api/issues/{id}") { request, context in try await update(request, context) }
        router.delete("/api/issues/{id}") { request, context in try await delete(request, context) }
    }

    private func list(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let query = request.uri.queryParameters
        let workspace = try RequestWorkspace.required(request, query: query)
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
        guard body.title.isPresent else { throw APIError.badRequest("field 'title' is required") }
        let now = Date()
        var draft = Issue(
            id: "", workspaceID: workspace, title: "", description: nil, status: .backlog, priority: .none,
            assigneeType: nil, assigneeID: nil, creatorType: .member, creatorID: caller.userID, parentIssueID: nil,
            acceptanceCriteria: [], contextRefs: [], position: 0, dueDate: nil, createdAt: now, updatedAt: now
        )
        try body.apply(to: &draft)
        let valid = draft
        let (issue, json) = try await api.unit { unit in
            _ = try unit.member(of: workspace, caller)
            try Self.validateReferences(valid, in: unit)
            let issue = try unit.createIssue(
                NewIssue(
                    workspaceID: workspace, title: valid.title, creatorType: .member, creatorID: caller.userID,
                    description: valid.description, status: valid.status, priority: valid.priority,
                    assigneeType: valid.assigneeType, assigneeID: valid.assigneeID, parentIssueID: valid.parentIssueID,
                    acceptanceCriteria: valid.acceptanceCriteria, contextRefs: valid.contextRefs,
                    position: body.position.isPresent ? valid.position : nil, dueDate: valid.dueDate
                )
            )
            let json = try JSONCoding.encode(issue)
            let batch = EventBatch(unit, workspace: workspace, by: caller)
            batch.add(.issueCreated, payload: EventPayload.make("issue", encoded: json))
            try batch.add(inbox: try unit.tasks.store(InboxService.issueCreated(issue, actor: caller.userID)))
            try unit.tasks.issueChanged(from: nil, to: issue, into: batch)
            return (issue, json)
        }
        return JSONResponse.versioned(issue, encoded: json, status: .created)
    }

    private func update(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let precondition = try IfMatch.parse(request)
        let body = try await RequestBody.decode(Body.self, from: request)
        let (issue, json) = try await api.unit { unit in
            // The current issue is read in the same transaction as the write, so the
            // fields this body leaves out keep their latest values (no lost update).
            let (old, _) = try unit.issue(id, for: caller)
            try precondition.check(old)
            if case .value(let workspace) = body.workspaceID, workspace != old.workspaceID {
                throw APIError.badRequest("field 'workspace_id': an issue cannot move to another workspace")
            }
            var draft = old
            try body.apply(to: &draft)
            if draft.parentIssueID == old.id { throw APIError.badRequest("field 'parent_issue_id': an issue cannot be its own parent") }
            if draft.assigneeType != old.assigneeType || draft.assigneeID != old.assigneeID || draft.parentIssueID != old.parentIssueID {
                try Self.validateReferences(draft, in: unit)
            }
            let issue = try unit.updateIssue(draft, stored: old)
            // Encoded once, for the event and the answer.
            let json = try JSONCoding.encode(issue)
            let batch = EventBatch(unit, workspace: issue.workspaceID, by: caller)
            batch.add(.issueUpdated, payload: EventPayload.make("issue", encoded: json))
            try batch.add(inbox: try unit.tasks.store(InboxService.issueUpdated(from: old, to: issue, actor: caller.userID)))
            try unit.tasks.issueChanged(from: old, to: issue, into: batch)
            return (issue, json)
        }
        return JSONResponse.versioned(issue, encoded: json)
    }

    private func delete(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let precondition = try IfMatch.parse(request)
        try await api.unit { unit in
            let (issue, _) = try unit.issue(id, for: caller)
            try precondition.check(issue)
            let batch = EventBatch(unit, workspace: issue.workspaceID, by: caller)
            try batch.add(.issueDeleted, [("issue_id", issue.id)])
            try unit.tasks.cancelOpenTasks(issueID: issue.id, into: batch)
            _ = try unit.deleteIssue(id: issue.id)
        }
        return Response(status: .noContent)
    }

    /// The assignee and the parent issue must belong to the issue's workspace.
    private static func validateReferences(_ issue: Issue, in unit: any UnitOfWork) throws {
        try unit.validateAssignee(type: issue.assigneeType, id: issue.assigneeID, in: issue.workspaceID)
        if let parent = issue.parentIssueID {
            guard let stored = try unit.issue(id: parent), stored.workspaceID == issue.workspaceID else {
                throw APIError.badRequest("field 'parent_issue_id': no issue '\(parent)' in this workspace")
            }
        }
    }
}

extension StrictEnum {
    init(_ value: E) { self.value = value }
}
