import NIOCore

/// When one loop's outbox drains next: at once when the loop has been idle, after a
/// gap while commits keep coming, so that a busy room's events reach each socket
/// together, in one write per socket.
///
/// Owned by one `LoopOutbox` and used under its mutex; a plain value.
struct DrainSchedule: Sendable {
    /// Drains of one loop start at least this far apart while commits keep coming
    /// (see `nextDrain(now:)`). An idle loop drains at once (a paced stream pays nothing);
    /// a busy one gathers what commits meanwhile, so events from many single-event
    /// requests still reach each socket as one write.
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

    /// ...and never further apart than this while publishers' answers wait for a
    /// room's readers (`HeldAnswers.isHolding`). The readers are the bottleneck then,
    /// and the gap's wait and the drain's reading come on top of the pacing's.
    ///
    /// Under `Benchmarks/overload.sh` (1,000 sockets, 128 publishing connections) a
    /// drain took about 11 ms, so at 50 ms drains came every 44 ms with 37 events
    /// each, which the benchmark's readers take 44 ms to read: an event waited up to a
    /// gap and up to two drains' reading, and 21% of deliveries took over 100 ms (p99
    /// 164–196 ms over 20,000 events). At 25 ms, with `RoomPressure.releaseBatch` 4,
    /// the p99 was 94 ms in two runs, for 1.25–1.41 µs of server CPU per delivery
    /// against 0.75–0.77 and 20% fewer events a second. 20 ms saturated the server's
    /// core (1.88 µs), 30 ms gave a p99 of 102 ms. Capping every busy loop this way
    /// also cost compare.sh's one event per POST at 1,000 sockets and 4 publishing
    /// connections, where at most 4 answers wait: 1.13–1.19 µs per delivery against
    /// 0.78–0.79.
    static let maximumDrainIntervalWhileHolding = TimeAmount.milliseconds(25)

    /// When the last drain started.
    private(set) var lastDrain = NIODeadline.distantPast
    /// How long the last drain took (its writes and flushes).
    private(set) var lastCost = TimeAmount.zero
    /// Set when a commit came inside the gap after the last drain and was still
    /// drained at once; the next one inside the gap waits. Cleared by a commit that
    /// comes after the gap.
    private(set) var gathering = false

    /// The gap the next drain keeps after the last one; `holding`: answers wait for
    /// a room's readers (`HeldAnswers.isHolding`).
    func gap(holding: Bool = false) -> TimeAmount {
        min(holding ? Self.maximumDrainIntervalWhileHolding : Self.maximumDrainInterval,
            max(Self.minimumDrainInterval, .nanoseconds(lastCost.nanoseconds * Self.drainCostFactor)))
    }

    /// When to drain what a commit at `now` queued (`now` itself: at once).
    ///
    /// A commit that comes inside the gap after the last drain waits for the gap only
    /// when the commit before it also came inside a gap: a stream that is paced but
    /// jittered (two events a millisecond apart now and then) has each event drained
    /// at once, while a busy room gathers from its second close commit on. Waiting
    /// for the first close commit too put a wait of up to `minimumDrainInterval` on
    /// every such pair: compare.sh's paced case (100 sockets, 100 events/s, one quiet
    /// alternated pair) had a delivery p99 of 4.84 and 4.76 ms that way and 3.51 and
    /// 2.77 ms this way (nats-server 2.40 and 2.58), for the same CPU per delivery.
    mutating func nextDrain(now: NIODeadline, holding: Bool = false) -> NIODeadline {
        let due = lastDrain + gap(holding: holding)
        if due <= now {
            gathering = false
            return now
        }
        if !gathering {
            gathering = true
            return now
        }
        return due
    }

    mutating func drainStarted(at start: NIODeadline) {
        lastDrain = start
    }

    mutating func drainTook(_ cost: TimeAmount) {
        lastCost = cost
    }
}
