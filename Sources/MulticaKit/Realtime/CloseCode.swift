/// WebSocket close codes multica uses (SPEC §7).
public enum CloseCode: UInt16, Sendable {
    case normal = 1000
    case goingAway = 1001
    case protocolError = 1002
    case invalidPayload = 1007
    case messageTooLarge = 1009
    case tokenExpired = 4001
    case membershipRevoked = 4003
    case slowConsumer = 4008

    var reason: String {
        switch self {
        case .normal: return "bye"
        case .goingAway: return "server shutting down"
        case .protocolError: return "protocol error"
        case .invalidPayload: return "invalid UTF-8"
        case .messageTooLarge: return "frame over 64 KiB"
        case .tokenExpired: return "token expired"
        case .membershipRevoked: return "membership revoked"
        case .slowConsumer: return "slow consumer"
        }
    }

    /// Whether a peer may send `code` in a close frame (RFC 6455 §7.4): the defined
    /// codes except 1004-1006 and 1015 (reserved, never on the wire), the IANA ones up
    /// to 1014, and 3000-4999 (libraries and applications).
    static func mayBeSent(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
