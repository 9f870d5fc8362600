import NIOCore

/// The thread-safe face of one socket, held by the hub.
///
/// Ownership: the hub holds handles between `register` and the channel closing; the
/// handler itself lives in the channel pipeline and is only touched on its event
/// loop, through `NIOLoopBound`. Every method here hops to that loop and returns at
/// once, so no caller ever waits on a socket.
public final class SocketHandle: Sendable, Hashable {
    public let identity: SocketIdentity
    let eventLoop: any EventLoop
    let handler: NIOLoopBound<SocketConnectionHandler>
    /// The same handler without the per-access loop check, for the fan-out loop in
    /// `LoopOutbox.drain`, which runs on this socket's loop by construction (outboxes
    /// are per loop). Touch it nowhere else.
    nonisolated(unsafe) let handlerOnLoop: SocketConnectionHandler

    init(handler: SocketConnectionHandler, eventLoop: any EventLoop) {
        self.identity = handler.identity
        self.eventLoop = eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
        self.handlerOnLoop = handler
    }

    public func close(_ code: CloseCode) {
        eventLoop.execute { self.handler.value.close(code) }
    }

    /// Lets the socket report to its room's pressure when it falls behind.
    func joinPacing(_ pressure: RoomPressure) {
        eventLoop.execute { self.handler.value.joinPacing(pressure) }
    }

    /// Sends the hello, and with it the ping that measures the socket's round trip.
    func sendHello(_ bytes: [UInt8]) {
        eventLoop.execute { self.handler.value.sendHello(bytes) }
    }

    /// Writes replayed frames; the future completes when the last is written, or is
    /// nil when the socket stopped replaying (closed or evicted).
    func deliverReplay(_ frames: [(ByteBuffer, Int64)]) async -> Bool {
        let written: EventLoopFuture<Void>? = try? await eventLoop.submit {
            self.handler.value.deliverReplay(frames)
        }.get()
        guard let written else { return false }
        return (try? await written.get()) != nil
    }

    func finishReplay(through seq: Int64) {
        eventLoop.execute { self.handler.value.finishReplay(through: seq) }
    }

    /// `finishReplay` that reports back: false when the socket is still replaying
    /// because its live buffer overflowed meanwhile (read the log on after `seq`, then
    /// call again); true once it is live or no longer replaying at all.
    func endReplay(through seq: Int64) async -> Bool {
        (try? await eventLoop.submit { self.handler.value.finishReplay(through: seq) }.get()) ?? true
    }

    public static func == (lhs: SocketHandle, rhs: SocketHandle) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
