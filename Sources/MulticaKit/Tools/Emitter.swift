import Foundation

/// `emit event`: publishes `count` events of one type, in batches of at most 1,000
/// (the array form of `POST /api/events` whenever `count > 1`), optionally paced to
/// `rate` events per second.
public struct Emitter: Sendable {
    public struct Plan: Sendable {
        public var type: EventType
        public var workspaceID: String
        public var count: Int
        public var rate: Int?
        /// The payload of every event; nil generates a fresh one per event.
        public var payload: RawJSONObject?
        /// Recipient of generated `inbox:*` payloads (the caller, so their own tail sees them).
        public var recipientID: String?

        public init(type: EventType, workspaceID: String, count: Int, rate: Int?, payload: RawJSONObject?, recipientID: String? = nil) {
            self.recipientID = recipientID
            self.type = type
            self.workspaceID = workspaceID
            self.count = count
            self.rate = rate
            self.payload = payload
        }
    }

    public struct Summary: Sendable {
        public var sent = 0
        public var failed = 0
        public var elapsed: Duration = .zero
        /// Why the run stopped early, if it did.
        public var error: ClientError?

        /// Events acknowledged per second.
        public var rate: Double {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? Double(sent) / seconds : Double(sent)
        }
    }

    public let client: MulticaClient
    /// Consecutive failed batches (5xx, broken connection) before giving up.
    public var maxConsecutiveFailures = 3

    public init(client: MulticaClient) { self.client = client }

    /// Publishes the plan. `published` gets each acknowledged batch, `progress` the
    /// running summary after every batch. Client errors (4xx) and an unreachable
    /// server stop the run at once; server errors count as failed events and stop
    /// it after `maxConsecutiveFailures` batches in a row.
    public func run(
        _ plan: Plan,
        published: ([Received<PublishedEvent>]) -> Void,
        progress: (Summary) -> Void = { _ in }
    ) async -> Summary {
        let generator = PayloadGenerator(workspaceID: plan.workspaceID, recipientID: plan.recipientID)
        let clock = ContinuousClock()
        let start = clock.now
        var summary = Summary()
        var done = 0
        var consecutiveFailures = 0
        while done < plan.count {
            var batchSize = min(MulticaClient.maxBatch, plan.count - done)
            if let rate = plan.rate {
                // Event i is due at start + i / rate; send every event already due.
                let elapsed = clock.now - start
                let due = Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * Double(rate)) + 1
                if due <= done {
                    let next = start + .nanoseconds(Int64(Double(done) / Double(rate) * 1e9))
                    try? await Task.sleep(until: next, clock: clock)
                    continue
                }
                batchSize = min(batchSize, due - done)
            }
            var batch: [OutgoingEvent] = []
            batch.reserveCapacity(batchSize)
            for _ in 0..<batchSize {
                let payload = plan.payload ?? generator.payload(for: plan.type) ?? .empty
                batch.append(OutgoingEvent(type: plan.type.rawValue, workspaceID: plan.workspaceID, payload: payload))
            }
            do {
                let acknowledged = try await client.publishEvents(batch, asArray: plan.count > 1)
                summary.sent += acknowledged.count
                consecutiveFailures = 0
                published(acknowledged)
            } catch {
                summary.failed += batchSize
                consecutiveFailures += 1
                let fatal: Bool
                if case .server(let status, _) = error { fatal = status < 500 } else { fatal = error.isUnreachable }
                if fatal || consecutiveFailures >= maxConsecutiveFailures {
                    summary.error = error
                    done += batchSize
                    summary.elapsed = clock.now - start
                    progress(summary)
                    break
                }
            }
            done += batchSize
            summary.elapsed = clock.now - start
            progress(summary)
        }
        summary.elapsed = clock.now - start
        return summary
    }
}
