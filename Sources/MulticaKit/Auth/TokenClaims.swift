import Foundation

/// The claims of a multica access token (SPEC §3).
///
/// JSON keys: `sub`, `exp`, `iat`, `email`, `name`, `adm`. Times are encoded as whole
/// seconds since the Unix epoch (fractions are truncated); `adm` is written only when
/// true and read as false when absent.
public struct TokenClaims: Sendable, Equatable, Codable {
    public var subject: String
    public var expiresAt: Date
    public var issuedAt: Date?
    public var email: String?
    public var name: String?
    public var isAdmin: Bool

    public init(
        subject: String,
        expiresAt: Date,
        issuedAt: Date? = nil,
        email: String? = nil,
        name: String? = nil,
        isAdmin: Bool = false
    ) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.email = email
        self.name = name
        self.isAdmin = isAdmin
    }

    enum CodingKeys: String, CodingKey {
        case subject = "sub", expiresAt = "exp", issuedAt = "iat", email, name, isAdmin = "adm"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        subject = try c.decode(String.self, forKey: .subject)
        expiresAt = Date(timeIntervalSince1970: try c.decode(Double.self, forKey: .expiresAt))
        issuedAt = try c.decodeIfPresent(Double.self, forKey: .issuedAt).map(Date.init(timeIntervalSince1970:))
        email = try c.decodeIfPresent(String.self, forKey: .email)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        isAdmin = try c.decodeIfPresent(Bool.self, forKey: .isAdmin) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subject, forKey: .subject)
        try c.encode(Self.epochSeconds(expiresAt), forKey: .expiresAt)
        try c.encodeIfPresent(issuedAt.map(Self.epochSeconds), forKey: .issuedAt)
        try c.encodeIfPresent(email, forKey: .email)
        try c.encodeIfPresent(name, forKey: .name)
        if isAdmin { try c.encode(true, forKey: .isAdmin) }
    }

    /// Whole seconds since the epoch, rounded down.
    static func epochSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// The claims as they are carried in a token: times truncated to whole seconds.
    public var truncatedToSeconds: TokenClaims {
        var copy = self
        copy.expiresAt = Date(timeIntervalSince1970: Double(Self.epochSeconds(expiresAt)))
        copy.issuedAt = issuedAt.map { Date(timeIntervalSince1970: Double(Self.epochSeconds($0))) }
        return copy
    }
}
