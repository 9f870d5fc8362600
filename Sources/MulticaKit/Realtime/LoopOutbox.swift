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
    }

    private struct State: Sendable {
        var pending: [Delivery] = []
        var scheduled = false
        /// When the last drain started.
        var lastDrain = NIODeadline.distantPast
        /// How long the last drain took (its writes and flushes).
        var lastCost = TimeAmount.zero
    }

    /// Drains of one loop start at least this far apart. An idle loop drains at once
    /// (a paced stream pays nothing); a busy one gathers what commits meanwhile, so
    /// events from many single-event requests still reach each socket as one write.
    /// 3 ms: at 100 sockets and 4 publishing connections (compare.sh's case, runs
    /// alternated) a delivered frame cost 4.1 µs at 1.5 ms, 3.5 at 3 ms and 3.2 at 5 ms,
    /// for a p50 of 2.0, 2.5–2.8 and 3.3–3.9 ms (p99 10–13 ms at all three, with one
    /// run at 21). 0.5 ms had cost 4.2 against 3.4 at 1.5. Past 3 ms the saving
    /// shrinks while every event of a busy room waits longer.
    static let minimumDrainInterval = TimeAmount.milliseconds(3)

    /// ...and at least this many times the last drain's own duration apart. A drain to
    /// many sockets costs one `writev` per socket whatever it carries, so when drains
    /// are expensive the loop spends the gap answering the requests that publish, and
    /// the next drain carries all their events in that one write per socket: with one
    /// event per HTTP request and 1,000 sockets, a drain of one event took as long as a
    /// drain of forty. Bounded: a drain of 1,000 sockets takes a few milliseconds, so an
    /// event waits at most a few times that; the delivery backlog still holds commits
    /// back when outboxes fall behind. Why 4: with pacing the kernel buffers no longer
    /// fill, so the gap is what gathers events; at 1,000 sockets and 4 publishing
    /// connections, 2 cost 1.9 µs per delivered frame (compare.sh) and 4 cost 1.1, for
    /// a delivery p99 of 200 ms instead of 120 behind a generator that reads 600,000
    /// frames a second. A paced stream is unaffected: its loop is idle.
    static let drainCostFactor: Int64 = 4

    /// ...but never further apart than this. The cost is wall time, so a drain whose
    /// thread was preempted (a loaded machine, a CI run starting every suite at once)
    /// would otherwise hold the loop's next drain back for four times the preemption,
    /// and the room's readers would see a pause of seconds. A drain to 1,000 sockets
    /// costs a few milliseconds, so 50 ms leaves the measured cases as they were.
    static let maximumDrainInterval = TimeAmount.milliseconds(50)

    let loop: any EventLoop
    private let state = Mutex(State())
    private let metrics: RealtimeMetrics
    private let backlog: DeliveryBacklog
    private let allocator = ByteBufferAllocator()

    init(loop: any EventLoop, metrics: RealtimeMetrics, backlog: DeliveryBacklog) {
        self.loop = loop
        self.metrics = metrics
        self.backlog = backlog
    }

    /// Queues `delivery`; it is written once `schedule()` is called (the hub calls it
    /// after queueing a whole commit).
    func enqueue(_ delivery: Delivery) {
        backlog.add(delivery.targets.count)
        state.withLock { $0.pending.append(delivery) }
    }

    /// Wakes the loop to drain what is queued, unless a drain is already due.
    func schedule() {
        let now = NIODeadline.now()
        let due: NIODeadline? = state.withLock { state in
            guard !state.scheduled, !state.pending.isEmpty else { return nil }
            state.scheduled = true
            let gap = min(
                Self.maximumDrainInterval,
                max(Self.minimumDrainInterval, .nanoseconds(state.lastCost.nanoseconds * Self.drainCostFactor))
            )
            return state.lastDrain + gap
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
                state.lastDrain = started
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
        state.withLock { $0.lastCost = cost }
        metrics.framesDelivered(frames)
        backlog.remove(frames)
    }

    /// The same sockets in the same order (pointer comparison; usually the same array).
    private static func same(_ a: [SocketHandle], _ b: [SocketHandle]) -> Bool {
        guard a.count == b.count else { return false }
        for index in a.indices where a[index] !== b[index] { return false }
        return true
    }
}
