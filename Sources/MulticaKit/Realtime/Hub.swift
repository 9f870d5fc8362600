import Logging
import NIOCore
import Synchronization

/// The WebSocket hub: sockets grouped into rooms by workspace.
///
/// Threading: the room table is guarded by a mutex held only to copy a room's
/// socket lists; delivery happens after the lock is released, through one
/// `LoopOutbox` per event loop, which coalesces bursts into one loop task that writes
/// the same frame bytes to each socket and flushes each socket once. No method waits on a
/// socket, so a slow or dead peer can never stall a broadcast.
public final class Hub: DeliveryPacing, Sendable {
    /// Sockets of one room that live on the same event loop.
    struct LoopGroup: Sendable {
        let outbox: LoopOutbox
        var handles: [SocketHandle]
        var loop: any EventLoop { outbox.loop }
    }

    private struct Room: Sendable {
        /// Whether the room's sockets keep up (pacing its publishers).
        let pressure: RoomPressure
        var groups: [LoopGroup] = []
        /// Publish-only sockets (`?subscribe=false`): never delivered to, but closed
        /// with the room's other sockets (revoked membership, deleted workspace, shutdown).
        var publishers: [SocketHandle] = []
        var isEmpty: Bool { publishers.isEmpty && groups.allSatisfy { $0.handles.isEmpty } }
        var all: [SocketHandle] { groups.flatMap(\.handles) + publishers }
    }

    private let rooms = Mutex<[String: Room]>([:])
    /// One outbox per event loop, shared by every room, so that a burst of events for
    /// several rooms still costs one task per loop.
    private let outboxes = Mutex<[ObjectIdentifier: LoopOutbox]>([:])
    private let allocator = ByteBufferAllocator()
    /// Frames handed to the loops and not yet written (see `waitForDeliveryRoom`).
    let backlog = DeliveryBacklog()
    /// Answers waiting in the rooms' pressure, which the outboxes' drain gaps follow.
    private let held = HeldAnswers()
    private let metrics: RealtimeMetrics
    private let logger: Logger
    private let fault: RoutingFault?

    /// - Parameter fault: a deliberate routing bug, for proving that `verify isolation`
    ///   catches one. Never set in normal operation (see `RoutingFault`).
    public init(metrics: RealtimeMetrics, logger: Logger = Logger(label: "multica.hub"), fault: RoutingFault? = nil) {
        self.metrics = metrics
        self.logger = logger
        self.fault = fault
    }

    // MARK: Membership of rooms

    /// Adds `handle` to its workspace's room; returns the room's pressure, in which the
    /// socket counts as a subscriber until `unregister` (the caller hands it to the
    /// socket, which reports when it falls behind).
    @discardableResult
    func register(_ handle: SocketHandle) -> RoomPressure {
        let outbox = outbox(for: handle.eventLoop)
        let pressure = rooms.withLock { rooms in
            var room = rooms[handle.identity.workspaceID] ?? Room(pressure: RoomPressure(metrics: metrics, loop: handle.eventLoop, held: held))
            if !handle.identity.subscribes {
                room.publishers.append(handle)
            } else if let index = room.groups.firstIndex(where: { $0.loop === handle.eventLoop }) {
                room.groups[index].handles.append(handle)
            } else {
                room.groups.append(LoopGroup(outbox: outbox, handles: [handle]))
            }
            rooms[handle.identity.workspaceID] = room
            return room.pressure
        }
        if handle.identity.subscribes { pressure.subscriberJoined() }
        return pressure
    }

    /// The outbox of `loop`, made on first use; any thread.
    func outbox(for loop: any EventLoop) -> LoopOutbox {
        outboxes.withLock { outboxes in
            let key = ObjectIdentifier(loop)
            if let existing = outboxes[key] { return existing }
            let created = LoopOutbox(loop: loop, metrics: metrics, backlog: backlog, held: held)
            outboxes[key] = created
            return created
        }
    }

    func unregister(_ handle: SocketHandle) {
        // The pressure of the room the socket was counted in, if it was.
        let pressure = rooms.withLock { rooms -> RoomPressure? in
            guard var room = rooms[handle.identity.workspaceID] else { return nil }
            defer { rooms[handle.identity.workspaceID] = room.isEmpty ? nil : room }
            let counted = room.groups.contains { $0.handles.contains { $0 === handle } }
            room.publishers.removeAll { $0 === handle }
            for index in room.groups.indices {
                room.groups[index].handles.removeAll { $0 === handle }
            }
            room.groups.removeAll { $0.handles.isEmpty }
            return counted ? room.pressure : nil
        }
        pressure?.subscriberLeft()
    }

    /// Number of registered sockets, optionally in one workspace.
    public func socketCount(workspace: String? = nil) -> Int {
        rooms.withLock { rooms in
            let selected = workspace.map { rooms[$0].map { [$0] } ?? [] } ?? Array(rooms.values)
            return selected.reduce(0) { $0 + $1.all.count }
        }
    }

    /// The workspaces with at least one registered socket (the cluster feed reads the
    /// shared log for these).
    public func workspacesWithSockets() -> [String] {
        rooms.withLock { Array($0.keys) }
    }

    /// Whether a socket here may see events of `workspace`: one joined to it, or, for
    /// `""` (daemon events go to every socket), any socket at all.
    public func hasSockets(for workspace: String) -> Bool {
        rooms.withLock { rooms in workspace.isEmpty ? !rooms.isEmpty : rooms[workspace] != nil }
    }

    // MARK: Delivery

    /// Routes `event` by the rules of SPEC §5 and hands its frame, encoded once here,
    /// to every recipient socket. Returns at once.
    public func deliver(_ event: EventEnvelope) {
        deliver([event])
    }

    /// Routes the events of one commit, in order, then wakes each event loop they went
    /// to once: a loop then writes the whole run to each of its sockets with one write
    /// and one flush, however many requests the commit held. Returns at once.
    public func deliver(_ events: [EventEnvelope]) {
        var touched: [LoopOutbox] = []
        for event in events { route(event, into: &touched) }
        for outbox in touched { outbox.schedule() }
    }

    private func route(_ event: EventEnvelope, into touched: inout [LoopOutbox]) {
        let scope = fault?.scope(of: event) ?? EventRouting.scope(of: event)
        // Each group with the workspace of its room: a socket de-duplicates by `seq`,
        // which only means something for events of its own workspace.
        // The room's pressure counts its own events while they wait in the outboxes
        // (`RoomPressure.undrainedLimit`); events for every room do not count.
        let groups: [(workspace: String, group: LoopGroup, pressure: RoomPressure?)]
        switch scope {
        case .dropped(let reason):
            logger.warning("event dropped", metadata: ["event_type": "\(event.type)", "reason": "\(reason)"])
            return
        case .workspace(let workspace):
            groups = rooms.withLock { rooms in
                guard let room = rooms[workspace] else { return [] }
                return room.groups.map { (workspace, $0, room.pressure) }
            }
        case .recipient(let workspace, let userID):
            groups = rooms.withLock { rooms in
                guard let room = rooms[workspace] else { return [] }
                return room.groups.compactMap { group in
                    let mine = group.handles.filter { $0.identity.userID == userID }
                    return mine.isEmpty ? nil : (workspace, LoopGroup(outbox: group.outbox, handles: mine), room.pressure)
                }
            }
        case .everyone:
            groups = rooms.withLock { rooms in
                rooms.flatMap { workspace, room in room.groups.map { (workspace, $0, nil) } }
            }
        }
        guard !groups.isEmpty else { return }
        // One encoding per event, header included; every recipient gets these bytes.
        let frame = WebSocketFrameBytes.encode(.text, payload: event.frame(), allocator: allocator)
        for (workspace, group, pressure) in groups {
            let seq: Int64? = workspace == event.workspaceID ? event.seq : nil
            pressure?.eventsQueued(1)
            group.outbox.enqueue(LoopOutbox.Delivery(frame: frame, seq: seq, targets: group.handles, pressure: pressure))
            if !touched.contains(where: { $0 === group.outbox }) { touched.append(group.outbox) }
        }
    }

    // MARK: Backpressure

    /// False while publishers of `workspace` wait (`RoomPressure`): its sockets are
    /// behind, or earlier publishers still wait.
    public func hasRoom(in workspace: String) -> Bool {
        pressure(of: workspace)?.hasRoom ?? true
    }

    /// Runs `body` once most sockets of `workspace` keep up (`RoomPressure`); at once
    /// when they do or the workspace has none here.
    public func whenRoom(in workspace: String, metered: Bool, _ body: @escaping @Sendable () -> Void) {
        if let pressure = pressure(of: workspace) {
            pressure.whenRoom(metered: metered, body)
        } else {
            body()
        }
    }

    /// The pressure of `workspace`'s room; nil when it has no sockets here.
    private func pressure(of workspace: String) -> RoomPressure? {
        rooms.withLock { $0[workspace]?.pressure }
    }

    /// Blocks the calling thread while the event loops are too far behind with
    /// delivery; the publisher calls it before each group commit. Never call it on an
    /// event loop.
    public func waitForDeliveryRoom() {
        backlog.waitForRoom()
    }

    // MARK: Closing

    /// Closes the sockets of `userID` in `workspace` (membership revoked).
    @discardableResult
    public func close(workspace: String, userID: String, code: CloseCode) -> Int {
        let handles = rooms.withLock { rooms in
            (rooms[workspace]?.all ?? []).filter { $0.identity.userID == userID }
        }
        handles.forEach { $0.close(code) }
        return handles.count
    }

    /// Closes every socket of `workspace` (the workspace was deleted).
    @discardableResult
    public func close(workspace: String, code: CloseCode) -> Int {
        let handles = rooms.withLock { $0[workspace]?.all ?? [] }
        handles.forEach { $0.close(code) }
        return handles.count
    }

    /// Closes every socket (shutdown with 1001).
    @discardableResult
    public func closeAll(code: CloseCode) -> Int {
        let handles = rooms.withLock { $0.values.flatMap(\.all) }
        handles.forEach { $0.close(code) }
        return handles.count
    }
}
