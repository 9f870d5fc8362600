import Foundation
import Synchronization

/// Tokens already verified, with their claims, until their `exp`: an authenticated
/// request then costs a dictionary lookup instead of two base64 and JSON decodes, an
/// HMAC and a hop to the key actor.
///
/// Exactness: the key is the whole token string, so only the very bytes that verified
/// are ever let in again, and never past their `exp` (checked on every hit). Tokens
/// that fail verification are not cached. Bounded: past `capacity` entries it starts over.
///
/// Threading: any thread; one mutex, never held across a verification.
public final class VerifiedTokenCache: Sendable {
    static let capacity = 10_000

    private let entries = Mutex<[String: TokenClaims]>([:])

    public init() {}

    /// The claims of `token`, verified by `tokens` unless already cached and unexpired.
    public func claims(_ token: String, tokens: TokenService, now: Date = Date()) async throws(TokenError) -> TokenClaims {
        if let cached = entries.withLock({ $0[token] }) {
            if cached.expiresAt > now { return cached }
            entries.withLock { _ = $0.removeValue(forKey: token) }
        }
        let claims = try await tokens.verify(token, now: now)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
        return claims
    }
}
