import Foundation

/// Who a WebSocket belongs to and which workspace it joined, fixed at upgrade time.
public struct SocketIdentity: Sendable, Hashable {
    public var userID: String
    public var workspaceID: String
    /// Server admins (`adm: true`) may join any workspace without being a member.
    public var isAdmin: Bool
    /// When the token expires; the socket is closed with 4001 then.
    public var expiresAt: Date
    /// `?since=` from the upgrade request, if any.
    public var since: Int64?
    /// False for a publish-only socket (`?subscribe=false`): it gets hello, acks and
    /// pongs, never events.
    public var subscribes: Bool

    public init(userID: String, workspaceID: String, isAdmin: Bool, expiresAt: Date, since: Int64?, subscribes: Bool = true) {
        self.userID = userID
        self.workspaceID = workspaceID
        self.isAdmin = isAdmin
        self.expiresAt = expiresAt
        self.since = since
        self.subscribes = subscribes
    }
}

/// Why an upgrade was refused: the HTTP status and `{"error": …}` body of SPEC §7.
public struct UpgradeRejection: Error, Sendable, Hashable {
    public var status: Int
    public var message: String
    /// A metric label; never carries a user or workspace id.
    public var reason: String

    public init(status: Int, message: String, reason: String) {
        self.status = status
        self.message = message
        self.reason = reason
    }

    public static let missingCredentials = UpgradeRejection(status: 401, message: "token and workspace_id required", reason: "missing_credentials")
    public static let invalidToken = UpgradeRejection(status: 401, message: "invalid token", reason: "invalid_token")
    public static let notMember = UpgradeRejection(status: 403, message: "not a member of this workspace", reason: "not_member")
    public static let originNotAllowed = UpgradeRejection(status: 403, message: "origin not allowed", reason: "origin")
    public static let badSince = UpgradeRejection(status: 400, message: "since must be a non-negative integer", reason: "bad_since")
    public static let badSubscribe = UpgradeRejection(status: 400, message: "subscribe must be true or false", reason: "bad_subscribe")
    public static let notFound = UpgradeRejection(status: 404, message: "not found", reason: "not_found")
    public static let unavailable = UpgradeRejection(status: 503, message: "server unavailable", reason: "unavailable")

    /// The response body, `{"error":"…"}`.
    public var body: [UInt8] {
        var out: [UInt8] = Array(#"{"error":"#.utf8)
        JSONString.append(message, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// What the upgrade path needs to know about a request, independent of HTTP types.
public struct UpgradeRequest: Sendable {
    public var path: String
    public var query: [String: String]
    public var authorization: String?
    public var origin: String?
    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`), in order.
    public var protocols: [String]

    /// The subprotocol this server speaks; a browser offers it with `bearer.<jwt>`.
    public static let subprotocol = "multica.v1"
    static let bearerProtocolPrefix = "bearer."

    /// `protocols` is the raw `Sec-WebSocket-Protocol` value (all of its fields
    /// joined with commas), nil when absent.
    public init(uri: String, authorization: String?, origin: String?, protocols: String? = nil) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = parts.first.map(String.init) ?? uri
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decoded(kv[0], plusIsSpace: false)
                let value = kv.count == 2 ? Self.decoded(kv[1], plusIsSpace: true) : ""
                if query[key] == nil { query[key] = value }
            }
        }
        self.query = query
        self.authorization = authorization
        self.origin = origin
        self.protocols = (protocols ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// A query component with `%XX` escapes decoded (and `+` as a space in values). As
    /// Foundation's `removingPercentEncoding` decides, which this replaced for speed
    /// (6% of an upgrade's CPU, mostly on the token): a stray `%` or a result that is
    /// not UTF-8 leaves the component exactly as it came, `+` included.
    static func decoded(_ raw: Substring, plusIsSpace: Bool) -> String {
        let utf8 = raw.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(raw)
        }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            if byte == UInt8(ascii: "%") {
                guard index != utf8.endIndex, let high = hex(utf8[index]) else { return String(raw) }
                utf8.formIndex(after: &index)
                guard index != utf8.endIndex, let low = hex(utf8[index]) else { return String(raw) }
                utf8.formIndex(after: &index)
                bytes.append(high << 4 | low)
            } else if plusIsSpace, byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? String(raw)
    }

    /// The bearer token from `Authorization`, else the `bearer.<jwt>` subprotocol
    /// (browsers cannot set headers, and a URL would leak it to logs and history),
    /// else `?token=`.
    public var token: String? {
        if let header = authorization, header.lowercased().hasPrefix("bearer ") {
            let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        if let offered = protocols.first(where: { $0.hasPrefix(Self.bearerProtocolPrefix) }) {
            let token = String(offered.dropFirst(Self.bearerProtocolPrefix.count))
            return token.isEmpty ? nil : token
        }
        if let token = query["token"], !token.isEmpty { return token }
        return nil
    }

    /// The subprotocol to answer with: `multica.v1` when the client offered it.
    public var selectedProtocol: String? {
        protocols.contains(Self.subprotocol) ? Self.subprotocol : nil
    }
}

/// Decides whether a `/ws` request may be upgraded. Runs before the upgrade, off the
/// event loop; must not throw — every failure is a rejection.
public protocol SocketAuthorizer: Sendable {
    func authorize(_ request: UpgradeRequest) async -> Result<SocketIdentity, UpgradeRejection>

    /// Asked once more right after the socket joined its room, to close the window in
    /// which a membership removed during the upgrade would go unnoticed.
    func isStillAuthorized(_ identity: SocketIdentity) async -> Bool
}
