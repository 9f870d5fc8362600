import NIOCore
import Synchronization

/// Whether the subscribed sockets of one room keep up with what is delivered to them,
/// and the publishers waiting until they do (the hub's `DeliveryPacing`).
///
/// A socket counts as behind while a probe ping it was sent has gone unanswered for
/// longer than `SocketSettings.lagLimit` (see `SocketConnectionHandler`): its peer has
/// not yet read what preceded it. The room is congested while more than half of its
/// subscribed sockets are behind, so one slow tab does not slow a whole workspace; it
/// is evicted with 4008 instead. A socket behind for longer than
/// `SocketSettings.stuckAfter` stops counting, so a peer that stopped reading holds
/// publishers back at most that long. Answers (not publish frames) also wait while
/// more than `undrainedLimit` of the room's events are still in the loop outboxes,
/// which no probe can have covered yet.
///
/// Waiting answers are let go `releaseBatch` at a time, one batch per `releaseTick`
/// while the room keeps up. Letting every waiter go at once let each of them publish
/// again at once: with 128 publishing connections and 1,000 sockets
/// (`Benchmarks/overload.sh`), 128 events landed in every socket's queue together,
/// about 135 ms of reading for the benchmark's readers, before any probe could tell.
/// With a 5 ms lag limit, metering took the delivery p50 from 131–145 ms to 63–70
/// and the p99 from 315–392 ms to 223–254 (alternated runs). A socket's queued
/// publish frames are not metered (`whenRoom(metered: false)`): they go with the
/// answers before and after them, since counting each frame capped a pipelined
/// publisher at 4,000 events a second (WS publish cost 5× nats-server's per delivery
/// at 100 sockets that way).
///
/// Threading: every method may be called from any thread. Waiting bodies run outside
/// the lock, in arrival order, on the thread whose update opened the room or on
/// `loop` (the ticks); while they run, newcomers queue behind them, so no body
/// overtakes an earlier one.
final class RoomPressure: Sendable {
    /// Waiters let go together, at most.
    ///
    /// 4: every batch lands in the readers' queues before a probe can tell whether
    /// they kept up. Under `Benchmarks/overload.sh`, 8 gave a p99 of 164–175 ms over
    /// 20,000 events. Past the start of a 6,000-event run, 4 alone gave 114 ms and 4
    /// with `DrainSchedule`'s 25 ms cap on the drain gap 76–80 ms (86–94 over 20,000
    /// events, start included); 6 with that cap gave 93–108 ms.
    static let releaseBatch = 4
    /// The pause between two batches: at most 2,000 waiters a second go while others
    /// still wait, which is more than the readers of a large room take (the benchmark's
    /// read 700–950 events a second at 1,000 sockets); whoever comes while nobody
    /// waits goes at once, whatever the rate.
    static let releaseTick = TimeAmount.milliseconds(2)

    /// The room's events queued in loop outboxes and not yet written, past which
    /// answers wait (publish frames do not): one per event per loop that holds the
    /// room's sockets.
    ///
    /// The probes tell only once a drain has carried them and `lagLimit` has passed,
    /// while a drain to a large room comes up to a gap after the commit
    /// (`DrainSchedule`). Until then every answer went at once, and each publisher
    /// published again: under `Benchmarks/overload.sh` three or four waves of 128
    /// events landed before the room counted as behind, and the deliveries of the
    /// first 400 events took up to 400 ms. With the limit, the p99 of a 3,000-event
    /// run went from 247–249 ms to 129–132 (alternated runs).
    ///
    /// 64: more than a drain gathers under that overload once answers are paced
    /// (`releaseBatch` per `releaseTick` over a 25 ms gap is 50). It does bind where a
    /// few publishers answered at once outrun slow readers between two probes:
    /// compare.sh's one event per POST at 1,000 sockets (4 connections) then drains
    /// more often, for 1.16–1.32 µs per delivery against 0.87–1.08 and a delivery
    /// p99 of 162–170 ms against 296–387 (three alternated runs).
    static let undrainedLimit = 64

    private struct State {
        var subscribers = 0
        var behind = 0
        /// See `undrainedLimit`.
        var undrained = 0
        var waiters: CircularBuffer<Waiter> = []
        /// True while one thread runs released waiters.
        var releasing = false
        /// A tick is scheduled: the next batch goes then, not on an update.
        var tickScheduled = false
        var isCongested: Bool { behind * 2 > subscribers }
        /// An answer (`metered`) waits for the outboxes too; a publish frame only for
        /// the sockets.
        func outboxesHold(metered: Bool) -> Bool { metered && undrained > RoomPressure.undrainedLimit }
        /// A newcomer goes at once: the room keeps up and nobody waits or is being let go.
        func passesAtOnce(metered: Bool) -> Bool {
            !releasing && waiters.isEmpty && !isCongested && !outboxesHold(metered: metered)
        }
        /// The first waiter may go.
        var canRelease: Bool {
            guard !releasing, !tickScheduled, !isCongested, let first = waiters.first else { return false }
            return !outboxesHold(metered: first.metered)
        }
    }

    private struct Waiter {
        let body: @Sendable () -> Void
        let metered: Bool
    }

    private let state = Mutex(State())
    private let metrics: RealtimeMetrics
    /// Where the ticks run.
    private let loop: any EventLoop
    /// The hub's count of waiting answers, which this room's metered waiters are in.
    private let held: HeldAnswers

    init(metrics: RealtimeMetrics, loop: any EventLoop, held: HeldAnswers = HeldAnswers()) {
        self.metrics = metrics
        self.loop = loop
        self.held = held
    }

    /// Runs `body` at once when the room keeps up and nobody waits, else once it does.
    /// `metered` bodies count against `releaseBatch`; the others go with them in order.
    func whenRoom(metered: Bool = true, _ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if state.passesAtOnce(metered: metered) { return true }
            state.waiters.append(Waiter(body: body, metered: metered))
            if metered { held.held() }
            return false
        }
        if now { body() } else { metrics.publishPaced() }
    }

    /// Whether `whenRoom` would run its body at once now (a snapshot).
    var hasRoom: Bool {
        state.withLock { $0.passesAtOnce(metered: true) }
    }

    func subscriberJoined() { update { $0.subscribers += 1 } }
    func subscriberLeft() { update { $0.subscribers -= 1 } }
    /// A socket's probe is overdue (also counted in the `multica_sockets_behind` gauge).
    func socketFellBehind() {
        metrics.socketBehind(1)
        update { $0.behind += 1 }
    }

    /// The socket answered, got stuck or closed: it no longer counts as behind.
    func socketCaughtUp() {
        metrics.socketBehind(-1)
        update { $0.behind -= 1 }
    }

    /// `count` of the room's events went into loop outboxes (`undrainedLimit`). It
    /// never lets anyone go, so it runs no waiter on the caller's thread (the writer's).
    func eventsQueued(_ count: Int) { state.withLock { $0.undrained += count } }
    /// A loop wrote `count` of them.
    func eventsWritten(_ count: Int) { update { $0.undrained -= count } }

    private func update(_ change: (inout State) -> Void) {
        let open = state.withLock { state in
            change(&state)
            return state.canRelease
        }
        if open { release() }
    }

    /// Lets the next batch of waiters go, if the room keeps up, and schedules the tick
    /// for the batch after it while more wait.
    private func release() {
        let batch = state.withLock { state -> [@Sendable () -> Void] in
            guard state.canRelease else { return [] }
            state.releasing = true
            var batch: [@Sendable () -> Void] = []
            var metered = 0
            while metered < Self.releaseBatch, let waiter = state.waiters.first,
                  !state.outboxesHold(metered: waiter.metered) {
                state.waiters.removeFirst()
                batch.append(waiter.body)
                if waiter.metered { metered += 1 }
            }
            held.released(metered)
            return batch
        }
        guard !batch.isEmpty else { return }
        for body in batch { body() }
        let more = state.withLock { state in
            state.releasing = false
            guard !state.waiters.isEmpty else { return false }
            state.tickScheduled = true
            return true
        }
        if more {
            loop.scheduleTask(in: Self.releaseTick) {
                self.state.withLock { $0.tickScheduled = false }
                self.release()
            }
        }
    }
}
