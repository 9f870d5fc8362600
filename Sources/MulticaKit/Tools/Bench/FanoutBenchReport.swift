/// What `bench fanout` is asked to do.
public struct FanoutBenchOptions: Sendable {
    /// `http://host:port` of a running server; nil spawns `multica serve` (`--spawn`).
    public var server: String?
    /// A running server's process id, to read its CPU time and RSS from `/proc`
    /// (spawn mode knows it already).
    public var serverPID: Int32?
    /// `http://host:port` of the node the events are published through, when not
    /// `server` (subscribe on one node, publish on another of a shared database).
    public var publishServer: String?
    public var connections: Int
    public var workspaces: Int
    public var events: Int
    /// Events per second, one per request; nil publishes batches as fast as possible.
    public var rate: Int?
    public var payloadBytes: Int
    /// Environment of the caller: `MULTICA_JWT_SECRET` signs the tokens for `server`.
    public var environment: [String: String]
    /// How events are published: pipelined frames on one publish-only socket per
    /// workspace (`ws`, the default, as `emit event` does), or `POST /api/events`.
    public var transport: Emitter.Transport = .ws
    /// Keep-alive HTTP connections publishing in parallel (`http` transport).
    public var publishers: Int = 4
    /// Events per request when unpaced.
    public var batchSize: Int = 100
    /// Sockets being opened at the same time. Kept low on purpose: with more than
    /// about 5 upgrades in flight, `multica serve` (as of this commit) deadlocks —
    /// its cooperative threads block in synchronous GRDB reads (`EventLog.bounds`
    /// in `RealtimeService.run`) waiting for a pooled reader that only an async
    /// read, itself waiting for a cooperative thread, would release.
    public var connectConcurrency: Int = 64
    /// Longest wait for missing messages once nothing new arrives.
    public var drainTimeout: Duration = .seconds(10)
    /// The `multica` binary to spawn; default: this executable.
    public var executable: String?

    public init(
        server: String? = nil, serverPID: Int32? = nil, connections: Int = 100, workspaces: Int = 10, events: Int = 1000,
        rate: Int? = nil, payloadBytes: Int = 256, environment: [String: String] = [:]
    ) {
        self.server = server
        self.serverPID = serverPID
        self.connections = connections
        self.workspaces = workspaces
        self.events = events
        self.rate = rate
        self.payloadBytes = payloadBytes
        self.environment = environment
    }
}

/// Every figure of one `bench fanout` run. Times in the unit their name says.
public struct FanoutBenchReport: Sendable, Codable, Equatable {
    public var server: String
    public var spawned: Bool
    public var connections: Int
    public var workspaces: Int
    public var events: Int
    public var rate: Int?
    public var payloadBytes: Int

    public var connectSeconds: Double
    public var connectsPerSecond: Double

    public var published: Int
    public var publishSeconds: Double
    public var expected: Int
    /// Distinct (socket, seq) pairs received.
    public var delivered: Int
    public var lost: Int
    public var duplicates: Int
    public var unexpected: Int
    public var closedEarly: Int
    public var deliverySeconds: Double
    public var deliveredPerSecond: Double

    public var latencyP50Ms: Double
    public var latencyP90Ms: Double
    public var latencyP99Ms: Double
    public var latencyMaxMs: Double

    /// Server CPU (user + system) over the delivery window ÷ messages delivered.
    public var serverCPUPerMessageUs: Double?
    public var serverCPUSeconds: Double?
    public var serverRSSBeforeKiB: Int?
    public var serverRSSAfterKiB: Int?
    public var serverRSSPerSocketKiB: Double?
    /// This process's CPU over the delivery window ÷ messages delivered.
    public var benchCPUPerMessageUs: Double

    enum CodingKeys: String, CodingKey {
        case server, spawned, connections, workspaces, events, rate, published, expected, delivered, lost, duplicates, unexpected
        case payloadBytes = "payload_bytes"
        case connectSeconds = "connect_seconds"
        case connectsPerSecond = "connects_per_second"
        case publishSeconds = "publish_seconds"
        case closedEarly = "closed_early"
        case deliverySeconds = "delivery_seconds"
        case deliveredPerSecond = "delivered_per_second"
        case latencyP50Ms = "latency_p50_ms"
        case latencyP90Ms = "latency_p90_ms"
        case latencyP99Ms = "latency_p99_ms"
        case latencyMaxMs = "latency_max_ms"
        case serverCPUPerMessageUs = "server_cpu_per_message_us"
        case serverCPUSeconds = "server_cpu_seconds"
        case serverRSSBeforeKiB = "server_rss_before_kib"
        case serverRSSAfterKiB = "server_rss_after_kib"
        case serverRSSPerSocketKiB = "server_rss_per_socket_kib"
        case benchCPUPerMessageUs = "bench_cpu_per_message_us"
    }
}
