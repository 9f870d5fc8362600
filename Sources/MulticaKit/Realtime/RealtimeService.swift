import Foundation
import Logging
import NIOCore
import Synchronization

/// Everything the `/ws` endpoint does after the HTTP layer: authorizing upgrades,
/// attaching sockets to the hub, the hello frame and the `since` replay, and closing
/// every socket at shutdown.
///
/// Threading: `authorize` and `run` are called from the connection's task;
/// `attach` on the connection's event loop. Log reads are synchronous calls on the
/// calling task, paged so that one replay never holds more than a page in memory.
public final class RealtimeService: Sendable {
    public let hub: Hub
    public let settings: SocketSettings
    let metrics: RealtimeMetrics
    private let authorizer: any SocketAuthorizer
    private let log: any EventLog
    private let allowedOrigins: Set<String>
    private let publishing: (any SocketPublishing)?
    private let logger: Logger
    private let replayPageSize = 500
    private let shuttingDown = Atomic<Bool>(false)

    public init(
        hub: Hub, authorizer: any SocketAuthorizer, log: any EventLog, settings: SocketSettings,
        metrics: RealtimeMetrics, allowedOrigins: [String] = [], publishing: (any SocketPublishing)? = nil,
        logger: Logger = Logger(label: "multica.ws")
    ) {
        self.publishing = publishing
        self.hub = hub
        self.authorizer = authorizer
        self.log = log
        self.settings = settings
        self.metrics = metrics
        self.allowedOrigins = Set(allowedOrigins)
        self.logger = logger
    }

    /// Decides an upgrade: path, origin, then the authorizer. Counts rejections by reason.
    func authorize(_ request: UpgradeRequest) async -> Result<SocketIdentity, UpgradeRejection> {
        let result: Result<SocketIdentity, UpgradeRejection>
        if request.path != "/ws" {
            result = .failure(.notFound)
        } else if shuttingDown.load(ordering: .relaxed) {
            result = .failure(.unavailable)
        } else if !allowedOrigins.isEmpty, let origin = request.origin, !allowedOrigins.contains(origin) {
            result = .failure(.originNotAllowed)
        } else {
            result = await authorizer.authorize(request)
        }
        if case .failure(let rejection) = result { metrics.upgradeRejected(reason: rejection.reason) }
        return result
    }

    /// Installs the socket handler on a freshly upgraded channel. Event loop only.
    func attach(identity: SocketIdentity, to channel: any Channel) throws -> SocketHandle {
        // Frames are pre-encoded once per event by the hub. They are written through a
        // pass-through handler at the head of the pipeline, below NIO's frame encoder
        // (which cannot be removed), so no per-socket encoding happens at all.
        let pipeline = channel.pipeline.syncOperations
        // Room for a burst of frames before the socket counts as backed up; what a slow
        // reader may hold stays bounded by this plus `sendQueueLimit` frames.
        try channel.syncOptions?.setOption(
            ChannelOptions.writeBufferWaterMark, value: .init(low: 128 * 1024, high: 512 * 1024)
        )
        let writer = RawFrameWriter()
        try pipeline.addHandler(writer, position: .first)
        let output = try pipeline.context(handler: writer)
        let handler = SocketConnectionHandler(
            identity: identity, settings: settings, metrics: metrics, output: output,
            probeDeadlines: hub.outbox(for: channel.eventLoop).probeDeadlines, publishing: publishing
        )
        try pipeline.addHandler(handler)
        return SocketHandle(handler: handler, eventLoop: channel.eventLoop)
    }

    /// Runs one socket from join to close: room registration (live frames are
    /// buffered from here on), hello, replay from the log, then live delivery until
    /// the channel closes.
    func run(_ handle: SocketHandle, channel: any Channel) async {
        let identity = handle.identity
        handle.joinPacing(hub.register(handle))
        defer { hub.unregister(handle) }
        if settings.echo {
            // Conformance mode: the socket is an echo endpoint from its first byte.
            handle.finishReplay(through: 0)
            try? await channel.closeFuture.get()
            return
        }
        do {
            let bounds = try await log.bounds(workspace: identity.workspaceID)
            let since = identity.since ?? bounds.head
            let recovered = identity.since.map { bounds.canResume(from: $0) } ?? true
            handle.sendHello(Self.hello(identity: identity, head: bounds.head, recovered: recovered))
            if !(await authorizer.isStillAuthorized(identity)) {
                handle.close(.membershipRevoked)
            } else if !identity.subscribes {
                handle.finishReplay(through: bounds.head)
            } else {
                // Until the replay meets the live stream: a live buffer that overflowed
                // meanwhile was dropped, and the log has what it held.
                var through = try await replay(to: handle, after: since)
                while !(await handle.endReplay(through: through)) {
                    through = try await replay(to: handle, after: through)
                }
            }
        } catch {
            logger.error("socket setup failed", metadata: ["error": "\(error)"])
            handle.close(.goingAway)
        }
        try? await channel.closeFuture.get()
    }

    /// Sends every stored event after `since` that the socket may see; returns the
    /// last `seq` read.
    private func replay(to handle: SocketHandle, after since: Int64) async throws -> Int64 {
        var cursor = since
        while true {
            let page = try await log.events(workspace: handle.identity.workspaceID, since: cursor, limit: replayPageSize)
            guard let last = page.last else { return cursor }
            let frames = page.filter { EventRouting.allows($0, to: handle.identity) }
                .map { (WebSocketFrameBytes.encode(.text, payload: $0.frame()), $0.seq) }
            if !frames.isEmpty {
                guard await handle.deliverReplay(frames) else { return last.seq }
                metrics.eventsReplayed(frames.count)
            }
            cursor = last.seq
        }
    }

    /// Closes every socket with 1001 and waits, up to the close grace, for them to go.
    public func shutdown() async {
        shuttingDown.store(true, ordering: .relaxed)
        hub.closeAll(code: .goingAway)
        let deadline = ContinuousClock.now + settings.closeGrace + .milliseconds(500)
        while hub.socketCount() > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func hello(identity: SocketIdentity, head: Int64, recovered: Bool) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"hello","payload":{"workspace_id":"#.utf8)
        JSONString.append(identity.workspaceID, to: &out)
        out.append(contentsOf: #","user_id":"#.utf8)
        JSONString.append(identity.userID, to: &out)
        out.append(contentsOf: #","head_seq":\#(head),"recovered":\#(recovered)}}"#.utf8)
        return out
    }
}
