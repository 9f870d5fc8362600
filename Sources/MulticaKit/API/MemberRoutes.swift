import Hummingbird

/// `/api/workspaces/{id}/members…` and `/leave` (SPEC §6).
struct MemberRoutes {
    let api: APIContext

    struct AddBody: Decodable, Sendable {
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
            let body = try await RequestBody.decode(AddBody.self, from: request)
            let userID = body.userID.trimmingCharacters(in: .whitespaces)
            guard !userID.isEmpty else { throw APIError.badRequest("field 'user_id' must not be blank") }
            let role = body.role?.value ?? .member
            let member = try await api.unit { unit in
                let actor = try unit.member(of: id, caller, roles: AccessControl.managers)
                if role == .owner, actor.role != .owner { throw APIError.forbidden("only an owner may add an owner") }
                let member = try unit.addMember(workspace: id, userID: userID, role: role)
                try EventBatch(unit, workspace: id, by: caller).add(.memberAdded, [("member", member)])
                return member
            }
            return try JSONResponse.encode(member, status: .created)
        }
        router.delete("/api/workspaces/{id}/members/{member}") { _, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let reference = try context.parameters.require("member")
            try await api.unit { unit in
                let actor = try unit.member(of: id, caller)
                let target = try Self.resolve(reference, in: id, unit)
                let removingSelf = target.userID == caller.userID
                guard removingSelf || AccessControl.managers.contains(actor.role) else {
                    throw APIError.forbidden("requires role owner or admin")
                }
                if target.role == .owner, actor.role != .owner { throw APIError.forbidden("only an owner may remove an owner") }
                try Self.remove(target, by: caller, unit)
            }
            return Response(status: .noContent)
        }
        router.post("/api/workspaces/{id}/leave") { _, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            try await api.unit { unit in
                try Self.remove(try unit.member(of: id, caller), by: caller, unit)
            }
            return Response(status: .noContent)
        }
    }

    /// A member id, or a user id for convenience (`multica member remove --user`).
    private static func resolve(_ reference: String, in workspace: String, _ unit: any UnitOfWork) throws -> Member {
        if let member = try unit.member(id: reference), member.workspaceID == workspace { return member }
        if let member = try unit.membership(workspace: workspace, user: reference) { return member }
        throw APIError.notFound("member")
    }

    /// Removes the membership unless it is the workspace's last owner (counted in the
    /// same transaction, so two owners leaving at once cannot both succeed).
    private static func remove(_ member: Member, by caller: Principal, _ unit: any UnitOfWork) throws {
        if member.role == .owner {
            let owners = try unit.members(workspace: member.workspaceID).filter { $0.role == .owner }
            if owners.count <= 1 { throw APIError.conflict("cannot remove the last owner of a workspace") }
        }
        _ = try unit.removeMember(id: member.id)
        try EventBatch(unit, workspace: member.workspaceID, by: caller).add(
            .memberRemoved, [("member_id", member.id), ("workspace_id", member.workspaceID), ("user_id", member.userID)]
        )
    }
}
