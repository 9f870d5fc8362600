import Hummingbird

/// `/api/workspaces/{id}/members…` and `/leave` (SPEC §6).
struct MemberRoutes {
    let api: APIContext

    struct AddBody: Decodable {
        let userID: String
        let role: StrictEnum<MemberRole>?
        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case role
        }
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/workspaces/{id}/members") { _, context in
            let id = try context.parameters.require("id")
            try await api.access.canRead(id, try context.caller())
            return try JSONResponse.encode(try await api.repository.members(workspace: id))
        }
        router.post("/api/workspaces/{id}/members") { request, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let actor = try await api.access.require(AccessControl.managers, in: id, caller)
            let body = try await RequestBody.decode(AddBody.self, from: request)
            let userID = body.userID.trimmingCharacters(in: .whitespaces)
            guard !userID.isEmpty else { throw APIError.badRequest("field 'user_id' must not be blank") }
            let role = body.role?.value ?? .member
            if role == .owner, actor.role != .owner { throw APIError.forbidden("only an owner may add an owner") }
            let member = try await api.repository.addMember(workspace: id, userID: userID, role: role)
            try await api.publish(.memberAdded, workspace: id, by: caller, [("member", member)])
            return try JSONResponse.encode(member, status: .created)
        }
        router.delete("/api/workspaces/{id}/members/{member}") { _, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let reference = try context.parameters.require("member")
            let actor = try await api.access.member(of: id, caller)
            let target = try await resolve(reference, in: id)
            let removingSelf = target.userID == caller.userID
            guard removingSelf || AccessControl.managers.contains(actor.role) else {
                throw APIError.forbidden("requires role owner or admin")
            }
            if target.role == .owner, actor.role != .owner { throw APIError.forbidden("only an owner may remove an owner") }
            try await remove(target, by: caller)
            return Response(status: .noContent)
        }
        router.post("/api/workspaces/{id}/leave") { _, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let member = try await api.access.member(of: id, caller)
            try await remove(member, by: caller)
            return Response(status: .noContent)
        }
    }

    /// A member id, or a user id for convenience (`multica member remove --user`).
    private func resolve(_ reference: String, in workspace: String) async throws -> Member {
        if let member = try await api.repository.member(id: reference), member.workspaceID == workspace { return member }
        if let member = try await api.repository.membership(workspace: workspace, user: reference) { return member }
        throw APIError.notFound("member")
    }

    private func remove(_ member: Member, by caller: Principal) async throws {
        if member.role == .owner {
            let owners = try await api.repository.members(workspace: member.workspaceID).filter { $0.role == .owner }
            if owners.count <= 1 { throw APIError.conflict("cannot remove the last owner of a workspace") }
        }
        try await api.repository.removeMember(id: member.id)
        try await api.publish(
            .memberRemoved, workspace: member.workspaceID, by: caller,
            [("member_id", member.id), ("workspace_id", member.workspaceID), ("user_id", member.userID)]
        )
    }
}
