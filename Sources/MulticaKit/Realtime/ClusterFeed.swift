import Logging
import Synchronization

/// Delivers, on one node, every event of the shared log that this node's sockets may
/// need — written by this node or any other — in `seq` order per workspace, with no
/// gap and no duplicate (SPEC §4, "Backends").
///
/// The log is the truth; `ClusterSignals` hints and a periodic catch-up only say when
/// to read it. Per workspace the feed remembers the last `seq` it delivered:
/// - this node's own committed envelopes (`committed`) are delivered directly only
///   when they are exactly next; after a gap the missing range is read from the log
///   first, and anything at or below the mark is dropped as already delivered;
/// - a hint `(workspace, head)` above the mark reads `seq > mark` from the log, when
///   the node has sockets in that workspace; otherwise the mark just moves to `head`
///   (a socket that joins later replays from the log itself, after registering, so it
///   cannot miss what the mark skipped);
/// - on every (re)connection of the signals and every `interval`, the heads of the
///   workspaces with sockets are read and any shortfall is caught up.
///
/// Threading: every input goes through one `AsyncStream`, consumed by one task inside
/// `run()`, so the marks need no lock and deliveries never interleave. `committed` may
/// be called from any thread (the writer thread) and never blocks.
/// Failure: a failed read leaves the mark where it was; the next hint or tick retries.
/// Every read is bounded by `readLimit` (`Deadline`): a pool that is reconnecting to a
/// database that went away may hold a query for up to a minute, and the one consumer
/// must not wait that long — it gives the read up and the next tick asks again, so
/// delivery resumes within about a tick of the database answering again. Ticks do not
/// pile up behind a slow read: at most one resync is queued at a time.
public final class ClusterFeed: Sendable {
    enum Input: Sendable {
        case local([EventEnvelope])
        case hint(String, Int64)
        case resync
    }

    private let log: any EventLog
    private let signals: any ClusterSignals
    private let hasSockets: @Sendable (String) -> Bool
    private let workspacesWithSockets: @Sendable () -> [String]
    private let deliver: @Sendable ([EventEnvelope]) -> Void
    private let interval: Duration
    private let logger: Logger
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    private let pageSize = 500
    private let marked = Atomic<Bool>(false)
    private let resyncQueued = Atomic<Bool>(false)
    private let readLimit: Duration

    /// True once the feed knows every workspace's head (from then on nothing committed
    /// is missed). Tests wait for it; the server starts it before accepting sockets.
    public var isStarted: Bool { marked.load(ordering: .acquiring) }

    /// - Parameters:
    ///   - hasSockets: whether this node has a socket that may see events of a
    ///     workspace (`""`, the daemon events, goes to every socket).
    ///   - workspacesWithSockets: the workspaces with at least one socket here.
    ///   - deliver: hands a run of events (ascending `seq` per workspace) to this node's
    ///     bus; called in order, from one task.
    public init(
        log: any EventLog, signals: any ClusterSignals, hasSockets: @escaping @Sendable (String) -> Bool,
        workspacesWithSockets: @escaping @Sendable () -> [String], deliver: @escaping @Sendable ([EventEnvelope]) -> Void,
        interval: Duration = .seconds(1), readLimit: Duration = .seconds(5),
        logger: Logger = Logger(label: "multica.cluster")
    ) {
        self.readLimit = readLimit
        self.log = log
        self.signals = signals
        self.hasSockets = hasSockets
        self.workspacesWithSockets = workspacesWithSockets
        self.deliver = deliver
        self.interval = interval
        self.logger = logger
        (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
    }

    /// This node committed `envelopes` (ascending `seq` per workspace). Never blocks.
    public func committed(_ envelopes: [EventEnvelope]) {
        guard !envelopes.isEmpty else { return }
        continuation.yield(.local(envelopes))
    }

    /// Runs until the calling task is cancelled: the signals, the ticker and the one
    /// consumer of every input.
    /// Call it once.
    public func run() async {
        let continuation = self.continuation
        await withTaskCancellationHandler {
            await runParts(continuation)
        } onCancel: {
            continuation.finish()
        }
    }

    private func runParts(_ continuation: AsyncStream<Input>.Continuation) async {
        await withDiscardingTaskGroup { group in
            group.addTask { [signals] in
                await signals.run(
                    connected: { self.queueResync(continuation) },
                    committed: { workspace, head in continuation.yield(.hint(workspace, head)) }
                )
            }
            group.addTask { [interval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    self.queueResync(continuation)
                }
            }
            group.addTask { await self.consume() }
        }
    }

    /// Queues a resync unless one is already waiting to be consumed.
    private func queueResync(_ continuation: AsyncStream<Input>.Continuation) {
        if resyncQueued.exchange(true, ordering: .acquiringAndReleasing) { return }
        continuation.yield(.resync)
    }

    private func consume() async {
        var marks = await initialMarks()
        marked.store(true, ordering: .releasing)
        for await input in inputs {
            if Task.isCancelled { return }
            switch input {
            case .local(let envelopes):
                await local(envelopes, marks: &marks)
            case .hint(let workspace, let head):
                let mark = marks[workspace, default: 0]
                guard head > mark else { continue }
                if hasSockets(workspace) {
                    await catchUp(workspace, marks: &marks)
                } else {
                    marks[workspace] = head
                }
            case .resync:
                resyncQueued.store(false, ordering: .releasing)
                await resync(marks: &marks)
            }
        }
    }

    /// Every workspace's head when the node starts (no socket exists yet), retried until
    /// the database answers. A workspace first seen later was created later: mark 0.
    private func initialMarks() async -> [String: Int64] {
        while !Task.isCancelled {
            do {
                return try await Deadline.first(after: readLimit) { [signals] in try await signals.heads(workspaces: nil) }
            } catch {
                logger.warning("cluster feed: cannot read the heads yet", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: interval)
            }
        }
        return [:]
    }

    private func local(_ envelopes: [EventEnvelope], marks: inout [String: Int64]) async {
        // Envelopes that are exactly next go out together, as the commit they came from.
        var run: [EventEnvelope] = []
        run.reserveCapacity(envelopes.count)
        for envelope in envelopes {
            let workspace = envelope.workspaceID
            let mark = marks[workspace, default: 0]
            if envelope.seq <= mark { continue }
            if envelope.seq == mark + 1 || !hasSockets(workspace) {
                run.append(envelope)
                marks[workspace] = envelope.seq
                continue
            }
            // Another node committed in between: fill the gap from the log first, which
            // also delivers this envelope (it is committed, so it is in the log).
            if !run.isEmpty {
                deliver(run)
                run.removeAll(keepingCapacity: true)
            }
            await catchUp(workspace, marks: &marks)
        }
        if !run.isEmpty { deliver(run) }
    }

    private func resync(marks: inout [String: Int64]) async {
        var workspaces = workspacesWithSockets()
        if hasSockets(""), !workspaces.contains("") { workspaces.append("") }
        guard !workspaces.isEmpty else { return }
        let heads: [String: Int64]
        do {
            heads = try await Deadline.first(after: readLimit) { [signals, workspaces] in try await signals.heads(workspaces: workspaces) }
        } catch {
            logger.debug("cluster feed: heads unavailable", metadata: ["error": "\(error)"])
            return
        }
        for (workspace, head) in heads.sorted(by: { $0.key < $1.key }) where head > marks[workspace, default: 0] {
            await catchUp(workspace, marks: &marks)
        }
    }

    /// Reads and delivers every stored event after the mark, page by page.
    private func catchUp(_ workspace: String, marks: inout [String: Int64]) async {
        while !Task.isCancelled {
            let mark = marks[workspace, default: 0]
            let page: [EventEnvelope]
            do {
                page = try await Deadline.first(after: readLimit) { [log, pageSize] in
                    try await log.events(workspace: workspace, since: mark, limit: pageSize)
                }
            } catch {
                logger.debug("cluster feed: read failed", metadata: ["workspace": "\(workspace)", "error": "\(error)"])
                return
            }
            if let first = page.first, first.seq != mark + 1 {
                logger.warning("cluster feed: events pruned before delivery",
                               metadata: ["workspace": "\(workspace)", "from": "\(mark + 1)", "to": "\(first.seq - 1)"])
            }
            if let last = page.last {
                deliver(page)
                marks[workspace] = last.seq
            }
            if page.count < pageSize { return }
        }
    }
}
