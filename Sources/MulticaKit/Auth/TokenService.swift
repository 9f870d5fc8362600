import Foundation
import JWTKit

/// Mints and verifies HS256 access tokens (SPEC §3).
///
/// Verification reads the header and payload itself so that every rejection has a
/// precise reason (`TokenError`); the `alg` is checked before jwt-kit sees the token,
/// and jwt-kit's HMAC-SHA256 key then checks the signature.
public struct TokenService: Sendable {
    /// Minimum secret length in bytes (the HMAC-SHA256 output size).
    public static let minimumSecretLength = 32

    private let keys: KeyHolder

    public init(secret: [UInt8]) throws(SecretError) {
        guard secret.count >= Self.minimumSecretLength else {
            throw .tooShort(secret.count)
        }
        self.keys = KeyHolder(secret: secret)
    }

    /// Signs `claims` (times truncated to whole seconds) with HS256.
    public func mint(_ claims: TokenClaims) async throws -> String {
        let collection = await keys.collection()
        return try await collection.sign(WirePayload(claims))
    }

    /// Largest token accepted (SPEC §3); a longer one is malformed before any parsing.
    public static let maxTokenBytes = 8 * 1024

    public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> TokenClaims {
        guard token.utf8.count <= Self.maxTokenBytes else { throw .malformed("token over 8 KiB") }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw .malformed("expected 3 dot-separated segments, found \(segments.count)")
        }
        let header = try Self.jsonObject(segments[0], part: "header")
        guard let alg = header["alg"] else { throw .malformed("header has no alg") }
        guard case .string(let algName) = alg else { throw .malformed("header alg is not a string") }
        guard algName == "HS256" else { throw .unsupportedAlgorithm(algName) }
        // RFC 7515 §4.1.11: an extension listed in crit must be understood, and we
        // understand none; an empty list is forbidden outright.
        guard header["crit"] == nil else { throw .malformed("header has crit (no extension is understood)") }
        let payload = try Self.jsonObject(segments[1], part: "payload")
        guard Base64URL.decode(segments[2]) != nil else {
            throw .malformed("signature is not valid base64url")
        }

        do {
            let collection = await keys.collection()
            _ = try await collection.verify(token, as: SignatureOnly.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed("\(error)")
        }

        return try Self.claims(from: payload, now: now)
    }

    // MARK: - Parsing

    private static func jsonObject(_ segment: Substring, part: String) throws(TokenError) -> [String: JSONValue] {
        guard let bytes = Base64URL.decode(segment) else {
            throw .malformed("\(part) is not valid base64url")
        }
        // Our strict scanner first: JSONDecoder silently keeps the first of two equal
        // names, while most other parsers keep the last, so one token would name two
        // users depending on who reads it. Names compare after unescaping.
        guard let members = try? JSONScanner.objectMembers(bytes) else {
            throw .malformed("\(part) is not a JSON object")
        }
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw .malformed("\(part) has duplicate member '\(member.key)'")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
              case .object(let object) = value
        else {
            throw .malformed("\(part) is not a JSON object")
        }
        return object
    }

    private static func claims(from payload: [String: JSONValue], now: Date) throws(TokenError) -> TokenClaims {
        let subject: String
        switch payload["sub"] {
        case nil, .null?: throw .missingSubject
        case .string(let s)?:
            guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .missingSubject }
            subject = s
        default: throw .malformed("sub is not a string")
        }

        guard let expValue = payload["exp"], expValue != .null else { throw .missingExpiry }
        let expiresAt = try date(expValue, claim: "exp")
        let issuedAt: Date? = try payload["iat"].flatMap { v throws(TokenError) in
            v == .null ? nil : try date(v, claim: "iat")
        }
        let notBefore: Date? = try payload["nbf"].flatMap { v throws(TokenError) in
            v == .null ? nil : try date(v, claim: "nbf")
        }
        let email = try optionalString(payload["email"], claim: "email")
        let name = try optionalString(payload["name"], claim: "name")
        let isAdmin: Bool
        switch payload["adm"] {
        case nil, .null?: isAdmin = false
        case .bool(let b)?: isAdmin = b
        default: throw .malformed("adm is not a boolean")
        }

        guard expiresAt > now else { throw .expired }
        if let notBefore, notBefore > now { throw .notYetValid }
        return TokenClaims(
            subject: subject, expiresAt: expiresAt, issuedAt: issuedAt,
            email: email, name: name, isAdmin: isAdmin
        )
    }

    private static func date(_ value: JSONValue, claim: String) throws(TokenError) -> Date {
        switch value {
        case .int(let i): return Date(timeIntervalSince1970: Double(i))
        case .double(let d) where d.isFinite: return Date(timeIntervalSince1970: d)
        default: throw .malformed("\(claim) is not a number")
        }
    }

    private static func optionalString(_ value: JSONValue?, claim: String) throws(TokenError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw .malformed("\(claim) is not a string")
        }
    }
}

/// Builds the jwt-kit key collection once, on first use (adding a key is actor-isolated).
private actor KeyHolder {
    private let secret: [UInt8]
    private var cached: JWTKeyCollection?

    init(secret: [UInt8]) { self.secret = secret }

    func collection() async -> JWTKeyCollection {
        if let cached { return cached }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        cached = keys
        return keys
    }
}

/// The payload as jwt-kit signs it: integer epoch seconds, absent optionals omitted.
private struct WirePayload: JWTPayload {
    var sub: String
    var exp: Int64
    var iat: Int64?
    var email: String?
    var name: String?
    var adm: Bool?

    init(_ claims: TokenClaims) {
        sub = claims.subject
        exp = TokenClaims.epochSeconds(claims.expiresAt)
        iat = claims.issuedAt.map(TokenClaims.epochSeconds)
        email = claims.email
        name = claims.name
        adm = claims.isAdmin ? true : nil
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Used only to have jwt-kit check the signature; claims are read by `TokenService`.
private struct SignatureOnly: JWTPayload {
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
