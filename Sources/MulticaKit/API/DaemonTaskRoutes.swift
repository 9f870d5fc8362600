import Hummingbird

/// The daemon's task routes (SPEC §6): any member of the task's workspace, with a
/// token like every route. The lifecycle itself is `TaskService`'s.
///
/// - `POST /api/daemon/agents/{agentId}/tasks/claim` → 200 with the dispatched task,
///   or 204 when nothing is queued or the agent is at `max_concurrent_tasks`.
/// - `POST /api/daemon/tasks/{id}/start` → the running task.
/// - `POST /api/daemon/tasks/{id}/progress` `{summary, step?, total?}`.
/// - `POST /api/daemon/tasks/{id}/complete` `{result?}`, `…/fail` `{error?}` (body optional).
struct DaemonTaskRoutes {
    let api: APIContext

    struct ProgressBody: Decodable, Sendable {
        let summary: String
        let step: Int?
        let total: Int?
    }

    struct CompleteBody: Decodable, Sendable {
        let result: String?
    }

    struct FailBody: Decodable, Sendable {
        let error: String?
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.post("/api/daemon/agents/{agentId}/tasks/claim") { _, context in
            let caller = try context.caller()
            let agentID = try context.parameters.require("agentId")
            let claimed = try await api.unit { unit -> AgentTask? in
                let (agent, _) = try unit.agent(agentID, for: caller)
                return try unit.tasks.claim(agentID: agent.id, into: Self.batch(unit, agent.workspaceID, agent.id))
            }
            guard let claimed else { return Response(status: .noContent) }
            return try JSONResponse.encode(claimed)
        }
        router.post("/api/daemon/tasks/{id}/start") { _, context in
            try await transition(context) { unit, task in try unit.tasks.start(task, into: Self.batch(unit, task)) }
        }
        router.post("/api/daemon/tasks/{id}/progress") { request, context in
            let body = try await RequestBody.decode(ProgressBody.self, from: request)
            guard !body.summary.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.badRequest("field 'summary' must not be blank")
            }
            if let step = body.step, step < 0 { throw APIError.badRequest("field 'step' must not be negative") }
            if let total = body.total, total < 0 { throw APIError.badRequest("field 'total' must not be negative") }
            if let step = body.step, let total = body.total, step > total {
                throw APIError.badRequest("field 'step' must not exceed 'total'")
            }
            return try await transition(context) { unit, task in
                try unit.tasks.progress(task, summary: body.summary, step: body.step, total: body.total, into: Self.batch(unit, task))
                return task
            }
        }
        router.post("/api/daemon/tasks/{id}/complete") { request, context in
            let body = try await optionalBody(CompleteBody.self, request)
            return try await transition(context) { unit, task in
                try unit.tasks.complete(task, result: body?.result, into: Self.batch(unit, task))
            }
        }
        router.post("/api/daemon/tasks/{id}/fail") { request, context in
            let body = try await optionalBody(FailBody.self, request)
            return try await transition(context) { unit, task in
                try unit.tasks.fail(task, error: body?.error, into: Self.batch(unit, task))
            }
        }
    }

    /// One task transition as a unit of work: the task is read (and its state checked)
    /// in the same transaction that changes it, so two daemons racing on one task
    /// cannot both complete it.
    private func transition(
        _ context: MulticaRequestContext, _ change: @escaping @Sendable (any UnitOfWork, AgentTask) throws -> AgentTask
    ) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let task = try await api.unit { unit in try change(unit, try unit.task(id, for: caller)) }
        return try JSONResponse.encode(task)
    }

    /// Events of the daemon routes are attributed to the agent the daemon acts for.
    private static func batch(_ unit: any UnitOfWork, _ task: AgentTask) -> EventBatch {
        batch(unit, task.workspaceID, task.agentID)
    }

    private static func batch(_ unit: any UnitOfWork, _ workspace: String, _ agentID: String) -> EventBatch {
        EventBatch(unit, workspace: workspace, actorType: .agent, actorID: agentID)
    }

    /// Nil for an empty (or whitespace-only) body.
    private func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        let bytes = try await RequestBody.bytes(request)
        guard bytes.contains(where: { !$0.isJSONWhitespace }) else { return nil }
        return try RequestBody.decode(type, from: bytes)
    }
}
