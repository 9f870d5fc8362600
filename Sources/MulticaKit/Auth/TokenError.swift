/// Why a token was rejected. Each case is a distinct, precise reason (SPEC §3).
public enum TokenError: Error, Equatable, CustomStringConvertible {
    /// Wrong segment count, bad base64url, header or payload not a JSON object,
    /// a claim of the wrong JSON type.
    case malformed(String)
    /// Any `alg` other than HS256 (`none`, HS384, HS512, RS256, …).
    case unsupportedAlgorithm(String)
    case badSignature
    /// `exp` is at or before the verification time.
    case expired
    /// `nbf` is after the verification time.
    case notYetValid
    case missingExpiry
    /// `sub` missing, null or blank.
    case missingSubject

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed token: \(reason)"
        case .unsupportedAlgorithm(let alg): "unsupported algorithm '\(alg)' (only HS256 is accepted)"
        case .badSignature: "bad signature"
        case .expired: "token expired"
        case .notYetValid: "token not yet valid (nbf is in the future)"
        case .missingExpiry: "missing exp claim"
        case .missingSubject: "missing or blank sub claim"
        }
    }
}
