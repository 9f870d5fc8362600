import CoreMetrics
import Dispatch
import Logging
import Synchronization

/// Persist-then-deliver for units of work: runs each request's unit (its reads, row
/// changes and events) in a write transaction and, only once it is committed, publishes
/// its events on the bus, in `seq` order.
///
/// Threading: one serial writer owns both steps, so the order in which events reach
/// the bus is exactly the order of their `seq` in each workspace. Callers from any
/// task enqueue a unit and suspend; the writer takes every unit waiting at that moment
/// and hands them to the backend as one group (group commit: one transaction, one
/// savepoint per unit), then publishes and resumes each caller with its own result.
/// A writer that was idle first lets the requests already in flight submit theirs
/// (`CommitGathering`), so that units arriving together commit together.
///
/// Failure: a unit that throws is rolled back alone by the backend and its caller gets
/// the error; the other units of the group still commit. If the group's commit itself
/// fails, each unit is run again alone, so one bad unit cannot fail the others (a unit's
/// closure must therefore do nothing but storage work: it may run more than once, and
/// only its last run counts). Nothing of a failed unit is published.
public final class EventPublisher: Sendable {
    private struct Pending: Sendable {
        let body: UnitBody
        let resume: @Sendable (UnitOutcome) -> Void
    }

    private struct Queue: Sendable {
        var units: [Pending] = []
        var draining = false
    }

    public let bus: EventBus
    private let backend: any TransactionalBackend
    private let admission: @Sendable () -> Void
    private let delivery: @Sendable ([EventEnvelope]) -> Void
    private let pacing: (any DeliveryPacing)?
    private let gathering: CommitGathering
    private let queue = Mutex(Queue())
    private let writer = DispatchQueue(label: "multica.unit-writer")
    private let logger: Logger
    /// Transactions the writer committed, and the units they carried: units per commit
    /// is how much group commit (and `CommitGathering`) gathered.
    private let commits = Counter(label: "multica_commits_total")
    private let unitsCommitted = Counter(label: "multica_units_committed_total")

    /// - Parameters:
    ///   - admission: called on the writer thread before each group commit; it may block
    ///     to hold commits back while delivery is behind (the server passes the hub's
    ///     `waitForDeliveryRoom`).
    ///   - delivery: where a group's committed events go, on the writer thread, before
    ///     any caller resumes; must not block. Nil publishes them on `bus` (one node); on
    ///     a shared database the server passes its `ClusterFeed`, which orders them with
    ///     the other nodes' events before they reach the bus.
    ///   - pacing: holds publishers of a workspace back while its sockets are behind
    ///     (the server passes the hub): `unit` answers only once the workspaces of its
    ///     events have room, and `submit(_:pacedBy:completion:)` queues only then.
    public convenience init(
        backend: any TransactionalBackend, bus: EventBus, logger: Logger = Logger(label: "multica.publisher"),
        admission: @escaping @Sendable () -> Void = {}, delivery: (@Sendable ([EventEnvelope]) -> Void)? = nil,
        pacing: (any DeliveryPacing)? = nil
    ) {
        self.init(
            backend: backend, bus: bus, logger: logger, admission: admission, delivery: delivery, pacing: pacing,
            gathering: .standard
        )
    }

    /// - Parameter gathering: what the writer does on waking before its first commit.
    init(
        backend: any TransactionalBackend, bus: EventBus, logger: Logger, admission: @escaping @Sendable () -> Void,
        delivery: (@Sendable ([EventEnvelope]) -> Void)?, pacing: (any DeliveryPacing)?, gathering: CommitGathering
    ) {
        self.backend = backend
        self.pacing = pacing
        self.gathering = gathering
        self.bus = bus
        self.logger = logger
        self.admission = admission
        self.delivery = delivery ?? { [bus] events in bus.publish(group: events) }
    }

    /// Runs `work` as one unit of work and returns its value with its committed events.
    /// Throws, storing and delivering nothing of it, when `work` or the commit fails.
    ///
    /// Returns only once the sockets of the events' workspaces keep up (`pacing`): a
    /// caller that publishes again after each answer (an HTTP client) then publishes
    /// no faster than those sockets read. What is committed is delivered at once all
    /// the same; only the answer waits.
    public func unit<Value: Sendable>(
        _ work: @escaping @Sendable (any UnitOfWork) throws -> Value
    ) async throws -> Committed<Value> {
        let committed = try await withCheckedThrowingContinuation { continuation in
            submit(work) { continuation.resume(with: $0) }
        }
        if let pacing, !committed.events.isEmpty { await pacing.room(after: committed.events) }
        return committed
    }

    /// `submit`, queued only once the sockets of `workspace` keep up (`pacing`). Units
    /// paced by one workspace keep their submission order.
    public func submit<Value: Sendable>(
        _ work: @escaping @Sendable (any UnitOfWork) throws -> Value,
        pacedBy workspace: String,
        completion: @escaping @Sendable (Result<Committed<Value>, any Error>) -> Void
    ) {
        guard let pacing, !workspace.isEmpty else { return submit(work, completion: completion) }
        pacing.whenRoom(in: workspace, metered: false) { self.submit(work, completion: completion) }
    }

    /// Queues `work` as one unit of work without waiting; `completion` runs on the
    /// writer thread once the unit is committed or has failed, and must not block.
    ///
    /// Units are committed in the order they are submitted, and completions run in
    /// that order too: a caller that submits from one thread (a socket's event loop)
    /// gets its units' `seq`s and completions in submission order.
    public func submit<Value: Sendable>(
        _ work: @escaping @Sendable (any UnitOfWork) throws -> Value,
        completion: @escaping @Sendable (Result<Committed<Value>, any Error>) -> Void
    ) {
        let pending = Pending(body: { unit in try work(unit) }) { outcome in
            switch outcome {
            case .committed(let value, let events):
                // The body returned a `Value`: the cast cannot fail.
                completion(.success(Committed(value: value as! Value, events: events)))
            case .failed(let error):
                completion(.failure(error))
            }
        }
        let startDrain = queue.withLock { queue in
            queue.units.append(pending)
            defer { queue.draining = true }
            return !queue.draining
        }
        if startDrain { writer.async { self.drain() } }
    }

    /// Appends `events` as one unit (one transaction) and delivers them; returns them
    /// with their `seq`.
    @discardableResult
    public func publish(_ events: [NewEvent]) async throws -> [EventEnvelope] {
        guard !events.isEmpty else { return [] }
        return try await unit { unit in
            for event in events { unit.append(event) }
        }.events
    }

    @discardableResult
    public func publish(_ event: NewEvent) async throws -> EventEnvelope {
        try await publish([event])[0]
    }

    /// Writer thread only.
    private func drain() {
        var woken = true
        while true {
            var group = takeQueued(endingDrainIfEmpty: true)
            guard !group.isEmpty else { return }
            admission()
            if woken, gathering.gather() > 0 {
                group.append(contentsOf: takeQueued(endingDrainIfEmpty: false))
            }
            woken = false
            commit(group)
        }
    }

    /// The units queued now, in submission order; with `endingDrainIfEmpty`, an empty
    /// queue ends the drain (the next `submit` starts another).
    private func takeQueued(endingDrainIfEmpty: Bool) -> [Pending] {
        queue.withLock { queue in
            let taken = queue.units
            queue.units.removeAll(keepingCapacity: true)
            if taken.isEmpty, endingDrainIfEmpty { queue.draining = false }
            return taken
        }
    }

    /// Writer thread only.
    private func commit(_ group: [Pending]) {
        let outcomes: [UnitOutcome]
        do {
            outcomes = try backend.run(group.map(\.body))
        } catch {
            if group.count > 1 {
                for pending in group { commit([pending]) }
            } else {
                logger.error("unit of work failed to commit", metadata: ["error": "\(error)"])
                group[0].resume(.failed(error))
            }
            return
        }
        var committed: [EventEnvelope] = []
        var committedUnits = 0
        for case .committed(_, let events) in outcomes {
            committed.append(contentsOf: events)
            committedUnits += 1
        }
        if committedUnits > 0 {
            commits.increment()
            unitsCommitted.increment(by: committedUnits)
        }
        if !committed.isEmpty { delivery(committed) }
        for (pending, outcome) in zip(group, outcomes) {
            if case .failed(let error as EventAppendFailed) = outcome {
                logger.error("event append failed", metadata: ["error": "\(error.underlying)"])
            }
            pending.resume(outcome)
        }
    }
}
