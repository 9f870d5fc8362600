import CoreMetrics
import Synchronization

/// The hub's counters, reported through swift-metrics. No label carries a workspace
/// or user id: cardinality stays fixed however many tenants there are.
public final class RealtimeMetrics: Sendable {
    private let openSockets = Atomic<Int>(0)
    private let evictedSockets = Atomic<Int>(0)
    private let openSocketsGauge = Gauge(label: "multica_open_sockets")
    private let delivered = Counter(label: "multica_frames_delivered_total")
    /// Drains of a loop's outbox: each writes once to every socket it touches, so
    /// frames delivered per drain is how well commits were coalesced.
    private let drains = Counter(label: "multica_loop_drains_total")
    private let replayed = Counter(label: "multica_events_replayed_total")
    private let evictions = Counter(label: "multica_slow_consumer_evictions_total")
    private let replayDrops = Atomic<Int>(0)
    private let replayDropCounter = Counter(label: "multica_replay_buffer_overflows_total")
    private let paced = Atomic<Int>(0)
    private let pacedCounter = Counter(label: "multica_publishes_paced_total")
    private let behind = Atomic<Int>(0)
    private let behindGauge = Gauge(label: "multica_sockets_behind")

    public init() {}

    public var openSocketCount: Int { openSockets.load(ordering: .relaxed) }
    /// Sockets evicted with 4008 since start: the counter below, readable in-process
    /// (a soak test waits on it to know its stalled readers have been evicted).
    public var slowConsumerEvictionCount: Int { evictedSockets.load(ordering: .relaxed) }

    func socketOpened() {
        let now = openSockets.wrappingAdd(1, ordering: .relaxed).newValue
        openSocketsGauge.record(now)
    }

    func socketClosed() {
        let now = openSockets.wrappingSubtract(1, ordering: .relaxed).newValue
        openSocketsGauge.record(now)
    }

    /// Times a replaying socket's live buffer overflowed and was dropped, the replay
    /// then reading those events from the log instead of the socket being evicted.
    public var replayBufferDropCount: Int { replayDrops.load(ordering: .relaxed) }

    func replayBufferDropped() {
        replayDrops.wrappingAdd(1, ordering: .relaxed)
        replayDropCounter.increment()
    }

    /// Publishes (HTTP answers and socket publishes) that waited for their
    /// workspace's sockets to catch up (`RoomPressure`).
    public var pacedPublishCount: Int { paced.load(ordering: .relaxed) }

    func publishPaced() {
        paced.wrappingAdd(1, ordering: .relaxed)
        pacedCounter.increment()
    }

    /// Sockets whose probe ping is overdue (`SocketConnectionHandler`).
    public var socketsBehindCount: Int { behind.load(ordering: .relaxed) }

    func socketBehind(_ delta: Int) {
        behindGauge.record(behind.wrappingAdd(delta, ordering: .relaxed).newValue)
    }

    func framesDelivered(_ count: Int) { delivered.increment(by: count) }
    func loopDrained() { drains.increment() }
    func eventsReplayed(_ count: Int) { replayed.increment(by: count) }
    func slowConsumerEvicted() {
        evictedSockets.wrappingAdd(1, ordering: .relaxed)
        evictions.increment()
    }

    func upgradeRejected(reason: String) {
        Counter(label: "multica_upgrade_rejections_total", dimensions: [("reason", reason)]).increment()
    }
}
