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

    struct ProgressBody: Decodable {
        let summary: String
        let step: Int?
        let total: Int?
    }

    struct CompleteBody: Decodable {
        let result: String?
    }

    struct FailBody: Decodable {
        let error: String?
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.post("/api/daemon/agents/{agentId}/tasks/claim") { _, context in
            let (agent, _) = try await api.agent(try context.parameters.require("agentId"), for: try context.caller())
            guard let outcome = try await api.tasks.claim(agent: agent) else { return Response(status: .noContent) }
            return try await finish(outcome)
        }
        router.post("/api/daemon/tasks/{id}/start") { _, context in
            let task = try await api.task(try context.parameters.require("id"), for: try context.caller())
            return try await finish(try await api.tasks.start(task))
        }
        router.post("/api/daemon/tasks/{id}/progress") { request, context in
            let task = try await api.task(try context.parameters.require("id"), for: try context.caller())
            let body = try await RequestBody.decode(ProgressBody.self, from: request)
            guard !body.summary.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.badRequest("field 'summary' must not be blank")
            }
            if let step = body.step, step < 0 { throw APIError.badRequest("field 'step' must not be negative") }
            if let total = body.total, total < 0 { throw APIError.badRequest("field 'total' must not be negative") }
            if let step = body.step, let total = body.total, step > total {
                throw APIError.badRequest("field 'step' must not exceed 'total'")
            }
            return try await finish(try api.tasks.progress(task, summary: body.summary, step: body.step, total: body.total))
        }
        router.post("/api/daemon/tasks/{id}/complete") { request, context in
            let task = try await api.task(try context.parameters.require("id"), for: try context.caller())
            let body = try await optionalBody(CompleteBody.self, request)
            return try await finish(try await api.tasks.complete(task, result: body?.result))
        }
        router.post("/api/daemon/tasks/{id}/fail") { request, context in
            let task = try await api.task(try context.parameters.require("id"), for: try context.caller())
            let body = try await optionalBody(FailBody.self, request)
            return try await finish(try await api.tasks.fail(task, error: body?.error))
        }
    }

    private func finish(_ outcome: TaskService.Outcome) async throws -> Response {
        try await api.publish(outcome.batch)
        return try JSONResponse.encode(outcome.task)
    }

    /// Nil for an empty (or whitespace-only) body.
    private func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        let bytes = try await RequestBody.bytes(request)
        guard bytes.contains(where: { !$0.isJSONWhitespace }) else { return nil }
        return try RequestBody.decode(type, from: bytes)
    }
}
