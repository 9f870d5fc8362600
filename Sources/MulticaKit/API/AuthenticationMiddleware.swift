import Foundation
import Hummingbird
import Synchronization

/// Verifies the bearer token of every `/api` request and records the caller as the
/// request's principal. The caller's user row is upserted from the token's `sub`,
/// `email` and `name` the first time this process sees that combination, so an
/// ordinary request costs no write.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = MulticaRequestContext

    let tokens: TokenService
    let users: any UserStore
    private let verified = VerifiedTokenCache()
    private let seen = SeenUsers()

    init(tokens: TokenService, users: any UserStore) {
        self.tokens = tokens
        self.users = users
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        guard let token = Self.bearerToken(request) else {
            throw APIError.unauthorized("missing token")
        }
        let claims: TokenClaims
        do {
            claims = try await verified.claims(token, tokens: tokens)
        } catch {
            throw APIError.unauthorized("invalid token: \(error)")
        }
        let principal = Principal(userID: claims.subject, email: claims.email, name: claims.name, isAdmin: claims.isAdmin)
        if seen.insert(principal) {
            try await users.upsertUser(id: principal.userID, email: principal.email, name: principal.name)
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive,
    /// blanks around the token ignored). Byte-level: this runs on every `/api` request.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers.value(of: .authorization) else { return nil }
        let utf8 = header.utf8
        guard let space = utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let scheme = utf8[..<space]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let token = Substring(utf8[utf8.index(after: space)...]).trimmingBlanks
        return token.isEmpty ? nil : token
    }
}

/// The (user, email, name) triples already upserted by this process.
private final class SeenUsers: Sendable {
    private struct Key: Hashable { let id: String; let email: String?; let name: String? }
    private let keys = Mutex<Set<Key>>([])

    /// True when the triple is new (and records it).
    func insert(_ principal: Principal) -> Bool {
        keys.withLock { $0.insert(Key(id: principal.userID, email: principal.email, name: principal.name)).inserted }
    }
}
