import Foundation

/// Reads claims of a token **without** verifying it, only to explain a refusal
/// (the server answers "invalid token" for an expired one, too).
public enum TokenInspection {
    public static func unverifiedClaims(_ token: String) -> TokenClaims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]) else { return nil }
        return try? JSONDecoder().decode(TokenClaims.self, from: Data(payload))
    }

    /// "token expired at …" when the token's `exp` has passed, else nil.
    public static func expiryNote(_ token: String?, now: Date = Date()) -> String? {
        guard let token, let claims = unverifiedClaims(token), claims.expiresAt <= now else { return nil }
        return "token expired at \(Timestamp.format(claims.expiresAt))"
    }
}
