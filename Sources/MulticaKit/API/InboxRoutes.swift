import Hummingbird

/// `GET /api/inbox` (the caller's items in a workspace, not archived, newest first)
/// and `POST /api/inbox/{id}/read|archive` → `inbox:read|archived` {item_id,
/// recipient_id}. An item is visible only to its recipient: for anyone else it is 404.
struct InboxRoutes {
    let api: APIContext

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/inbox") { request, context in
            let caller = try context.caller()
            let workspace = try RequestWorkspace.required(request)
            _ = try await api.access.member(of: workspace, caller)
            return try JSONResponse.encode(try await api.repository.inboxItems(workspace: workspace, recipient: caller.userID))
        }
        router.post("/api/inbox/{id}/read") { _, context in try await mark(context, archive: false) }
        router.post("/api/inbox/{id}/archive") { _, context in try await mark(context, archive: true) }
    }

    private func mark(_ context: MulticaRequestContext, archive: Bool) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let updated = try await api.unit { unit in
            guard let item = try unit.inboxItem(id: id), item.recipientID == caller.userID else {
                throw APIError.notFound("inbox item")
            }
            _ = try unit.member(of: item.workspaceID, caller)
            let updated = archive ? try unit.archiveInboxItem(id: id) : try unit.markInboxRead(id: id)
            try EventBatch(unit, workspace: item.workspaceID, by: caller)
                .add(archive ? .inboxArchived : .inboxRead, [("item_id", item.id), ("recipient_id", item.recipientID)])
            return updated
        }
        return try JSONResponse.encode(updated)
    }
}
