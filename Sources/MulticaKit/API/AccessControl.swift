/// Membership and role checks for REST handlers (SPEC §6 "Roles").
///
/// A workspace that does not exist and one the caller is not a member of give the
/// same 403, as on `/ws`, so ids cannot be probed. Server admins (`adm`) may read
/// any workspace's events and stream, but change only those they belong to.
public struct AccessControl: Sendable {
    let members: any MemberStore

    public init(members: any MemberStore) {
        self.members = members
    }

    /// The caller's membership of `workspace`, or 403.
    func member(of workspace: String, _ principal: Principal) async throws -> Member {
        guard !workspace.isEmpty, let member = try await members.membership(workspace: workspace, user: principal.userID) else {
            throw APIError.notMember
        }
        return member
    }

    /// The caller's membership, which must have one of `roles`, or 403.
    @discardableResult
    func require(_ roles: Set<MemberRole>, in workspace: String, _ principal: Principal) async throws -> Member {
        let member = try await member(of: workspace, principal)
        try Self.check(member, has: roles)
        return member
    }

    /// 403 unless `member` has one of `roles`.
    static func check(_ member: Member, has roles: Set<MemberRole>) throws {
        guard roles.contains(member.role) else {
            let names = MemberRole.allCases.filter { roles.contains($0) }.map(\.rawValue).joined(separator: " or ")
            throw APIError.forbidden("requires role \(names)")
        }
    }

    /// Read access to a workspace's event history: a member, or a server admin.
    func canRead(_ workspace: String, _ principal: Principal) async throws {
        if principal.isAdmin { return }
        _ = try await member(of: workspace, principal)
    }

    static let managers: Set<MemberRole> = [.owner, .admin]
}
