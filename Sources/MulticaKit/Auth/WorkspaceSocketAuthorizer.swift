import Foundation

/// Decides `/ws` upgrades by SPEC §7: token and workspace present (401), token valid
/// (401, whatever the reason, so a probe learns nothing), then membership (403, the
/// same for a workspace that does not exist). Server admins skip the membership
/// check but still need an existing workspace.
public struct WorkspaceSocketAuthorizer: SocketAuthorizer {
    let tokens: TokenService
    let members: any MemberStore
    let workspaces: any WorkspaceStore
    /// Verified tokens until their `exp`, as for `/api` requests: the same token opening
    /// many sockets (tabs, reconnects, a fleet of agents) is parsed and its HMAC checked
    /// once. This was 10% of an upgrade's CPU.
    private let verified = VerifiedTokenCache()

    public init(tokens: TokenService, members: any MemberStore, workspaces: any WorkspaceStore) {
        self.tokens = tokens
        self.members = members
        self.workspaces = workspaces
    }

    public func authorize(_ request: UpgradeRequest) async -> Result<SocketIdentity, UpgradeRejection> {
        guard let token = request.token, let workspace = request.query["workspace_id"], !workspace.isEmpty else {
            return .failure(.missingCredentials)
        }
        var since: Int64?
        if let raw = request.query["since"] {
            guard let value = Int64(raw), value >= 0 else { return .failure(.badSince) }
            since = value
        }
        var subscribes = true
        if let raw = request.query["subscribe"] {
            switch raw {
            case "true", "1": subscribes = true
            case "false", "0": subscribes = false
            default: return .failure(.badSubscribe)
            }
        }
        let claims: TokenClaims
        do {
            claims = try await verified.claims(token, tokens: tokens)
        } catch {
            return .failure(.invalidToken)
        }
        let identity = SocketIdentity(
            userID: claims.subject, workspaceID: workspace, isAdmin: claims.isAdmin, expiresAt: claims.expiresAt, since: since,
            subscribes: subscribes
        )
        do {
            return try await isAllowed(identity) ? .success(identity) : .failure(.notMember)
        } catch {
            return .failure(.unavailable)
        }
    }

    public func isStillAuthorized(_ identity: SocketIdentity) async -> Bool {
        (try? await isAllowed(identity)) ?? false
    }

    private func isAllowed(_ identity: SocketIdentity) async throws -> Bool {
        if identity.isAdmin { return try await workspaces.workspace(id: identity.workspaceID) != nil }
        return try await members.membership(workspace: identity.workspaceID, user: identity.userID) != nil
    }
}
