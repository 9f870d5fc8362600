import NIOCore
import Synchronization

/// Frames waiting to be written by one event loop, coalesced into one loop task.
///
/// Threading: `enqueue` and `schedule` may be called from any thread (the event
/// writer); they append under a mutex, and at most one drain task is due at a time. The drain runs on the
/// loop. Consecutive deliveries to the same sockets (a burst of events in one room)
/// are concatenated once into a single buffer that every one of those sockets gets
/// with one `write`; each socket touched is then flushed once. A burst therefore costs
/// one task hop per loop and one write and one `writev` per socket, however many
/// events it held.
final class LoopOutbox: Sendable {
    struct Delivery: Sendable {
        let frame: ByteBuffer
        let seq: Int64?
        let targets: [SocketHandle]
        /// The room that counts this event as unwritten until the drain (nil: an event
        /// for every room).
        let pressure: RoomPressure?
    }

    private struct State: Sendable {
        var pending: [Delivery] = []
        var scheduled = false
        var timing = DrainSchedule()
    }

    let loop: any EventLoop
    /// The lag deadlines of the pacing probes sent by this loop's sockets.
    let probeDeadlines: ProbeDeadlines
    private let state = Mutex(State())
    private let metrics: RealtimeMetrics
    private let backlog: DeliveryBacklog
    /// Whether rooms hold answers for their readers, which shortens the drain gap.
    private let held: HeldAnswers
    private let allocator = ByteBufferAllocator()

    init(loop: any EventLoop, metrics: RealtimeMetrics, backlog: DeliveryBacklog, held: HeldAnswers) {
        self.loop = loop
        self.probeDeadlines = ProbeDeadlines(loop: loop)
        self.metrics = metrics
        self.backlog = backlog
        self.held = held
    }

    /// Queues `delivery`; it is written once `schedule()` is called (the hub calls it
    /// after queueing a whole commit).
    func enqueue(_ delivery: Delivery) {
        backlog.add(delivery.targets.count)
        state.withLock { $0.pending.append(delivery) }
    }

    /// Wakes the loop to drain what is queued, unless a drain is already due; when
    /// the drain starts is `DrainSchedule`'s choice.
    func schedule() {
        let now = NIODeadline.now()
        let holding = held.isHolding
        let due: NIODeadline? = state.withLock { state in
            guard !state.scheduled, !state.pending.isEmpty else { return nil }
            state.scheduled = true
            return state.timing.nextDrain(now: now, holding: holding)
        }
        guard let due else { return }
        if due <= now {
            loop.execute { self.drain() }
        } else {
            loop.scheduleTask(deadline: due) { self.drain() }
        }
    }

    /// Event loop only.
    private func drain() {
        loop.assertInEventLoop()
        let started = NIODeadline.now()
        let deliveries = state.withLock { state in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.scheduled = false
                state.timing.drainStarted(at: started)
            }
            return state.pending
        }
        var touched: [SocketConnectionHandler] = []
        touched.reserveCapacity(deliveries.first?.targets.count ?? 0)
        var frames = 0
        var start = 0
        while start < deliveries.count {
            let targets = deliveries[start].targets
            var end = start + 1
            while end < deliveries.count, Self.same(deliveries[end].targets, targets) { end += 1 }
            let run = deliveries[start..<end]
            if run.count == 1 {
                let delivery = run[start]
                for handle in targets where handle.handlerOnLoop.deliverLive(delivery.frame, seq: delivery.seq) {
                    touched.append(handle.handlerOnLoop)
                }
            } else {
                var joined = allocator.buffer(capacity: run.reduce(0) { $0 + $1.frame.readableBytes })
                for delivery in run { joined.writeImmutableBuffer(delivery.frame) }
                let seqs = run.compactMap(\.seq)
                for handle in targets {
                    let first = handle.handlerOnLoop.deliverLiveRun(
                        joined, frames: run.count, firstSeq: seqs.first, lastSeq: seqs.last,
                        each: { run.map { ($0.frame, $0.seq) } }
                    )
                    if first { touched.append(handle.handlerOnLoop) }
                }
            }
            frames += run.count * targets.count
            start = end
        }
        for handler in touched { handler.flushIfNeeded() }
        let cost = NIODeadline.now() - started
        state.withLock { $0.timing.drainTook(cost) }
        metrics.framesDelivered(frames)
        metrics.loopDrained()
        backlog.remove(frames)
        Self.countWritten(deliveries)
    }

    /// Tells each room how many of its events this drain wrote; usually one room, in
    /// runs, so this compares neighbours instead of hashing.
    private static func countWritten(_ deliveries: [Delivery]) {
        var current: RoomPressure?
        var count = 0
        for delivery in deliveries {
            if delivery.pressure !== current {
                if count > 0 { current?.eventsWritten(count) }
                current = delivery.pressure
                count = 0
            }
            count += 1
        }
        if count > 0 { current?.eventsWritten(count) }
    }

    /// The same sockets in the same order (pointer comparison; usually the same array).
    private static func same(_ a: [SocketHandle], _ b: [SocketHandle]) -> Bool {
        guard a.count == b.count else { return false }
        for index in a.indices where a[index] !== b[index] { return false }
        return true
    }
}
