import Foundation
import Hummingbird

/// `/api/workspaces` and `/api/workspaces/{id}` (SPEC §6).
struct WorkspaceRoutes {
    let api: APIContext

    struct CreateBody: Decodable, Sendable {
        let name: String
        let slug: String?
        let description: String?
    }

    struct PatchBody: Decodable, Sendable {
        let name: String?
        let description: String?
        let settings: [String: JSONValue]?
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.post("/api/workspaces") { request, context in try await create(request, context) }
        router.get("/api/workspaces") { _, context in
            let caller = try context.caller()
            return try JSONResponse.encode(try await api.repository.workspaces(forUser: caller.userID))
        }
        router.get("/api/workspaces/{id}") { _, context in
            let id = try context.parameters.require("id")
            try await api.access.canRead(id, try context.caller())
            guard let workspace = try await api.repository.workspace(id: id) else { throw APIError.notMember }
            return try JSONResponse.versioned(workspace)
        }
        router.patch("/api/workspaces/{id}") { request, context in try await patch(request, context) }
        router.delete("/api/workspaces/{id}") { request, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let precondition = try IfMatch.parse(request)
            try await api.unit { unit in
                try unit.member(of: id, caller, roles: [.owner])
                guard let current = try unit.workspace(id: id) else { throw APIError.notMember }
                try precondition.check(current)
                let workspace = try unit.deleteWorkspace(id: id)
                // The event tells every socket of the workspace, which the broadcast
                // listener then closes with 4003.
                try EventBatch(unit, workspace: id, by: caller)
                    .add(.workspaceUpdated, [("workspace", workspace), ("deleted", true)])
            }
            return Response(status: .noContent)
        }
    }

    private func create(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let body = try await RequestBody.decode(CreateBody.self, from: request)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw APIError.badRequest("field 'name' must be 1 to 200 characters") }
        let slug = body.slug ?? Self.slug(from: name)
        guard Self.isValidSlug(slug) else {
            throw APIError.badRequest("field 'slug' must be 1 to 64 of a-z, 0-9 and '-', starting with a letter or digit")
        }
        let description = body.description
        let workspace = try await api.unit { unit in
            let (workspace, owner) = try unit.createWorkspace(
                name: name, slug: slug, description: description, ownerUserID: caller.userID
            )
            let batch = EventBatch(unit, workspace: workspace.id, by: caller)
            try batch.add(.workspaceUpdated, [("workspace", workspace)])
            try batch.add(.memberAdded, [("member", owner)])
            return workspace
        }
        return try JSONResponse.versioned(workspace, status: .created)
    }

    private func patch(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let id = try context.parameters.require("id")
        let precondition = try IfMatch.parse(request)
        let body = try await RequestBody.decode(PatchBody.self, from: request)
        if let name = body.name, name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || name.count > 200 {
            throw APIError.badRequest("field 'name' must be 1 to 200 characters")
        }
        let workspace = try await api.unit { unit in
            try unit.member(of: id, caller, roles: AccessControl.managers)
            guard var workspace = try unit.workspace(id: id) else { throw APIError.notMember }
            try precondition.check(workspace)
            if let name = body.name { workspace.name = name.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let description = body.description { workspace.description = description }
            if let settings = body.settings { workspace.settings = settings }
            workspace = try unit.updateWorkspace(workspace)
            try EventBatch(unit, workspace: id, by: caller).add(.workspaceUpdated, [("workspace", workspace)])
            return workspace
        }
        return try JSONResponse.versioned(workspace)
    }

    static func slug(from name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        if slug.isEmpty { slug = "ws" }
        return String(slug.prefix(48)) + "-" + String(Identifier.make("x").suffix(6))
    }

    static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.unicodeScalars.first, slug.unicodeScalars.count <= 64 else { return false }
        let allowed = { (c: Unicode.Scalar) in (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-" }
        return first != "-" && slug.unicodeScalars.allSatisfy(allowed)
    }
}
