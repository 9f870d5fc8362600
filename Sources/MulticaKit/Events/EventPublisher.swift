import Dispatch
import Logging
import Synchronization

/// Persist-then-deliver: appends events to the log and, only once they are durable,
/// publishes them on the bus, in `seq` order.
///
/// Threading: one serial writer owns both steps, so the order in which events reach
/// the bus is exactly the order of their `seq` in each workspace. Callers from any
/// task enqueue a request and suspend; the writer takes every request waiting at that
/// moment and appends them in one transaction (group commit), then publishes and
/// resumes each caller with its own envelopes.
///
/// Failure: if the combined transaction fails, each request is retried alone so that
/// one bad request cannot fail the others; a request whose append fails is resumed
/// with the error and nothing of it is published.
public final class EventPublisher: Sendable {
    /// The log refused the append. Never the caller's fault: request validation
    /// happens before publishing, so this is a server error (HTTP 500).
    public struct AppendFailed: Error, CustomStringConvertible {
        public let underlying: any Error
        public var description: String { "event append failed: \(underlying)" }
    }

    private struct Request: Sendable {
        let events: [NewEvent]
        let continuation: CheckedContinuation<[EventEnvelope], any Error>
    }

    private struct Queue: Sendable {
        var requests: [Request] = []
        var draining = false
    }

    public let bus: EventBus
    private let log: any EventLog
    private let queue = Mutex(Queue())
    private let writer = DispatchQueue(label: "multica.event-writer")
    private let logger: Logger

    public init(log: any EventLog, bus: EventBus, logger: Logger = Logger(label: "multica.publisher")) {
        self.log = log
        self.bus = bus
        self.logger = logger
    }

    /// Appends `events` (one transaction) and delivers them; returns them with their
    /// `seq`. Throws, delivering nothing, if they could not be stored.
    @discardableResult
    public func publish(_ events: [NewEvent]) async throws -> [EventEnvelope] {
        guard !events.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let startDrain = queue.withLock { queue in
                queue.requests.append(Request(events: events, continuation: continuation))
                defer { queue.draining = true }
                return !queue.draining
            }
            if startDrain { writer.async { self.drain() } }
        }
    }

    @discardableResult
    public func publish(_ event: NewEvent) async throws -> EventEnvelope {
        try await publish([event])[0]
    }

    /// Writer thread only.
    private func drain() {
        while true {
            let batch: [Request] = queue.withLock { queue in
                let taken = queue.requests
                queue.requests.removeAll(keepingCapacity: true)
                if taken.isEmpty { queue.draining = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [Request]) {
        let stored: [EventEnvelope]
        do {
            stored = try log.append(batch.flatMap(\.events))
        } catch {
            if batch.count > 1 {
                for request in batch { commit([request]) }
            } else {
                logger.error("event append failed", metadata: ["error": "\(error)"])
                batch[0].continuation.resume(throwing: AppendFailed(underlying: error))
            }
            return
        }
        for event in stored { bus.publish(event) }
        var offset = 0
        for request in batch {
            let slice = Array(stored[offset..<(offset + request.events.count)])
            offset += request.events.count
            request.continuation.resume(returning: slice)
        }
    }
}
