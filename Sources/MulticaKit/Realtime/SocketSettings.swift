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
    /// A socket whose probe is unanswered for longer than this beyond its round-trip
    /// floor (the shortest ping round trip it has had, `RoundTripFloor`) is behind;
    /// while most sockets of a room are, its publishers wait.
    ///
    /// 5 ms of queueing: at 1,000 sockets and 128 publishing connections
    /// (`Benchmarks/overload.sh`) the delivery p99 was 315–392 ms at 5 ms and 436–506
    /// ms at 10 (two alternated runs each, before `RoomPressure` metered its waiters),
    /// and 223 against 279 ms with metering (one run each). It was 20 ms while the
    /// floor did not exist, since a peer's whole round trip counted then: a tighter
    /// limit would have made every peer more than a few milliseconds away count as
    /// behind.
    public var lagLimit: Duration = .milliseconds(5)
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
