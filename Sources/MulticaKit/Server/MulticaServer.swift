import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The composition root of `multica serve`: the one place that knows every concrete
/// type. Storage, the event log, the bus, the publisher, the hub and the HTTP routes
/// are built here and wired together; nothing else constructs them.
///
/// Lifecycle: `run` serves until `shutdown()` is called or, when asked to, until
/// SIGINT/SIGTERM. Shutdown refuses new sockets, closes every open one with 1001,
/// lets in-flight HTTP requests finish, then returns; the database closes when the
/// server is released.
public final class MulticaServer: Sendable {
    public let configuration: ServerConfiguration
    public let repository: any Repository
    public let eventLog: any EventLog
    public let bus: EventBus
    public let publisher: EventPublisher
    public let hub: Hub
    public let realtime: RealtimeService
    let tokens: TokenService
    let memberships: MembershipCache
    /// The SQLite database (tests' fault seams); nil on PostgreSQL.
    let database: SQLiteDatabase?
    /// Orders this node's and the other nodes' events on a shared database; nil on SQLite.
    let feed: ClusterFeed?
    private let storage: StorageStack
    private let logger: Logger
    private let group = Mutex<ServiceGroup?>(nil)
    private let stopRequested = Mutex(false)

    /// A server on the SQLite file of `configuration`. A PostgreSQL configuration needs a
    /// connection first: use `open(configuration:logger:)`, which takes either.
    public convenience init(configuration: ServerConfiguration, logger: Logger = Logger(label: "multica")) throws {
        if let postgres = configuration.postgres {
            // Never fall back to a SQLite file named after the URL.
            throw StorageError.unavailable("PostgreSQL (\(postgres)) is opened by MulticaServer.open(configuration:)")
        }
        try self.init(configuration: configuration, storage: .sqlite(path: configuration.databasePath), logger: logger)
    }

    /// Opens the database of `configuration` (SQLite or PostgreSQL: connecting and
    /// migrating) and builds the server on it.
    public static func open(configuration: ServerConfiguration, logger: Logger = Logger(label: "multica")) async throws
        -> MulticaServer
    {
        guard let postgres = configuration.postgres else { return try MulticaServer(configuration: configuration, logger: logger) }
        let storage = try await StorageStack.postgres(postgres, logger: logger)
        do {
            return try MulticaServer(configuration: configuration, storage: storage, logger: logger)
        } catch {
            storage.close()
            throw error
        }
    }

    init(configuration: ServerConfiguration, storage: StorageStack, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        // Bootstrap metrics before any metric object exists: ones made earlier stay no-ops.
        _ = MetricsRegistry.shared
        MallocTuning.apply()
        self.tokens = try TokenService(secret: configuration.jwtSecret)
        self.storage = storage
        self.database = storage.sqlite
        let repository = storage.repository
        self.repository = repository
        self.eventLog = storage.eventLog
        let bus = EventBus(logger: logger)
        self.bus = bus
        let metrics = RealtimeMetrics()
        let hub = Hub(metrics: metrics, logger: logger, fault: configuration.routingFault)
        self.hub = hub
        var feed: ClusterFeed?
        var delivery: (@Sendable ([EventEnvelope]) -> Void)?
        if let signals = storage.signals {
            let shared = ClusterFeed(
                log: storage.eventLog, signals: signals, hasSockets: { hub.hasSockets(for: $0) },
                workspacesWithSockets: { hub.workspacesWithSockets() }, deliver: { bus.publish(group: $0) }, logger: logger
            )
            feed = shared
            delivery = { shared.committed($0) }
        }
        self.feed = feed
        self.memberships = MembershipCache(enabled: feed == nil)
        self.publisher = EventPublisher(
            backend: storage.backend, bus: bus, logger: logger, admission: { hub.waitForDeliveryRoom() }, delivery: delivery,
            pacing: hub
        )
        if configuration.sockets.echo {
            logger.warning(
                "ECHO MODE: /ws sends no hello and no events, it echoes every message (WebSocket conformance tests only)",
                metadata: ["env": "\(EchoMode.environmentVariable)"]
            )
        }
        if let fault = configuration.routingFault {
            logger.warning("ROUTING FAULT INJECTED: events will leak between tenants (test only)", metadata: ["fault": "\(fault.rawValue)"])
        }
        self.realtime = RealtimeService(
            hub: hub,
            authorizer: WorkspaceSocketAuthorizer(
                tokens: tokens, members: CachingMemberStore(base: repository, cache: memberships), workspaces: repository
            ),
            log: eventLog, settings: configuration.sockets, metrics: metrics,
            allowedOrigins: configuration.allowedOrigins, publishing: SocketEventPublisher(publisher: publisher), logger: logger
        )
        memberships.install(on: bus)
        BroadcastListener.install(on: bus, hub: hub)
        EventMetricsListener.install(on: bus)
    }

    /// Serves until shutdown. `onReady` gets the bound port once the server listens.
    public func run(handleSignals: Bool = false, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = makeRouter()
        let realtime = self.realtime
        let application = Application(
            router: router,
            server: HTTPServerBuilder { responder in RealtimeServerChannel(responder: responder, realtime: realtime) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "multica"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let services: [any Service] = [
            application,
            RealtimeDrainService(realtime: realtime),
            RetentionService(log: eventLog, configuration: configuration, logger: logger),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: logger
            )
        )
        let stopAlready = self.group.withLock { slot in
            slot = group
            return stopRequested.withLock { $0 }
        }
        if stopAlready { await group.triggerGracefulShutdown() }
        // On a shared database the feed must know every workspace's head before the first
        // socket joins: a socket replays the log up to where the feed takes over.
        let feedTask = feed.map { feed in Task { await feed.run() } }
        defer { feedTask?.cancel() }
        if let feed {
            while !feed.isStarted, !stopRequested.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await group.run()
    }

    /// Starts a graceful shutdown of a running server (or of the next `run`).
    deinit { storage.close() }

    public func shutdown() async {
        let group = self.group.withLock { slot in
            stopRequested.withLock { $0 = true }
            return slot
        }
        await group?.triggerGracefulShutdown()
    }

    func makeRouter() -> Router<MulticaRequestContext> {
        let router = Router(context: MulticaRequestContext.self)
        router.middlewares.add(RequestMetricsMiddleware())
        router.middlewares.add(ErrorMiddleware())
        router.middlewares.add(AuthenticationMiddleware(tokens: tokens, users: repository))
        let api = APIContext(repository: repository, publisher: publisher, eventLog: eventLog, memberships: memberships)
        HealthRoutes(repository: repository, metrics: MetricsRegistry.shared).register(on: router)
        OpenAPIRoute().register(on: router)
        WebSocketRoute(realtime: realtime).register(on: router)
        WebRoutes(assets: .embedded).register(on: router)
        WorkspaceRoutes(api: api).register(on: router)
        MemberRoutes(api: api).register(on: router)
        EventRoutes(api: api).register(on: router)
        IssueRoutes(api: api).register(on: router)
        CommentRoutes(api: api).register(on: router)
        AgentRoutes(api: api).register(on: router)
        InboxRoutes(api: api).register(on: router)
        DaemonTaskRoutes(api: api).register(on: router)
        return router
    }
}

/// Closes every socket with 1001 when the server begins its graceful shutdown.
struct RealtimeDrainService: Service {
    let realtime: RealtimeService

    func run() async throws {
        try? await gracefulShutdown()
        await realtime.shutdown()
    }
}

/// Prunes the event log on a timer when a retention limit is configured.
struct RetentionService: Service {
    let log: any EventLog
    let configuration: ServerConfiguration
    let logger: Logger

    func run() async throws {
        guard configuration.retainAge != nil || configuration.retainCount != nil else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully {
            await prune()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.retentionInterval) }
        }
    }

    private func prune() async {
        let cutoff = configuration.retainAge.map { Date(timeIntervalSinceNow: -Double($0.components.seconds)) }
        do {
            let report = try await log.prune(olderThan: cutoff, keepingAtMost: configuration.retainCount)
            if report.removed > 0 {
                logger.info("retention pruned events", metadata: ["removed": "\(report.removed)"])
            }
        } catch {
            logger.error("retention failed", metadata: ["error": "\(error)"])
        }
    }
}
