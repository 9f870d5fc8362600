/// WebSocket close codes multica uses (SPEC §7).
public enum CloseCode: UInt16, Sendable {
    case normal = 1000
    case goingAway = 1001
    case messageTooLarge = 1009
    case tokenExpired = 4001
    case membershipRevoked = 4003
    case slowConsumer = 4008

    var reason: String {
        switch self {
        case .normal: return "bye"
        case .goingAway: return "server shutting down"
        case .messageTooLarge: return "frame over 64 KiB"
        case .tokenExpired: return "token expired"
        case .membershipRevoked: return "membership revoked"
        case .slowConsumer: return "slow consumer"
        }
    }
}
