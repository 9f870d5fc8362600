/// Per-socket limits and timers, fixed when the server starts.
public struct SocketSettings: Sendable {
    /// Frames a socket may have queued behind a full kernel buffer before it is
    /// evicted with 4008.
    public var sendQueueLimit: Int
    /// Largest inbound message (after reassembly); larger closes with 1009.
    public var maxInboundMessageBytes: Int
    /// How often the server pings; a socket that has not answered the previous ping
    /// by the next one is closed.
    public var pingInterval: Duration
    /// How long a close handshake may take before the connection is dropped.
    public var closeGrace: Duration
    /// How long an evicted slow consumer may take to read up to its 4008 close frame.
    public var evictionGrace: Duration
    /// Live bytes written to a socket between two probe pings (`RoomPressure`): the
    /// peer answers a probe only once it has read everything before it.
    public var probeInterval: Int = 16 * 1024
    /// A socket whose probe is unanswered for longer than this is behind; while most
    /// sockets of a room are, its publishers wait.
    public var lagLimit: Duration = .milliseconds(20)
    /// A socket behind for longer than this stops holding publishers back (a peer that
    /// stopped reading ends with 4008 instead).
    public var stuckAfter: Duration = .seconds(2)
    /// Conformance-test mode (`EchoMode`): no hello, no events, every text and binary
    /// message is echoed back. Never set in normal operation.
    public var echo: Bool = false

    public init(
        sendQueueLimit: Int = 4096, maxInboundMessageBytes: Int = 64 * 1024,
        pingInterval: Duration = .seconds(30), closeGrace: Duration = .seconds(2),
        evictionGrace: Duration = .seconds(15)
    ) {
        self.evictionGrace = evictionGrace
        self.sendQueueLimit = sendQueueLimit
        self.maxInboundMessageBytes = maxInboundMessageBytes
        self.pingInterval = pingInterval
        self.closeGrace = closeGrace
    }
}
