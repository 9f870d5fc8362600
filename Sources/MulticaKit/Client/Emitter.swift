import Foundation

/// `emit event`: publishes `count` events of one type, optionally paced to `rate` events
/// per second, either as pipelined `publish` frames on a publish-only WebSocket (the
/// default: one event per frame, acked after commit) or through `POST /api/events` in
/// batches of at most 1,000 (the array form whenever `count > 1`).
public struct Emitter: Sendable {
    /// How events travel to the server.
    public enum Transport: String, Sendable, CaseIterable {
        case ws
        case http
    }

    public struct Plan: Sendable {
        public var type: EventType
        public var workspaceID: String
        public var count: Int
        public var rate: Int?
        /// The payload of every event; nil generates a fresh one per event.
        public var payload: RawJSONObject?
        /// Recipient of generated `inbox:*` payloads (the caller, so their own tail sees them).
        public var recipientID: String?
        public var transport: Transport

        public init(
            type: EventType, workspaceID: String, count: Int, rate: Int?, payload: RawJSONObject?, recipientID: String? = nil,
            transport: Transport = .ws
        ) {
            self.recipientID = recipientID
            self.transport = transport
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
        /// The most recent refusal or failure, also when the run went on after it
        /// (a 5xx), so that "N events were not published" can say why.
        public var lastFailure: ClientError?

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
        if plan.transport == .ws { return await runOverSocket(plan, published: published, progress: progress) }
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
                summary.lastFailure = error
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

    /// Events in flight on the socket at most: the server stops reading past 1,000
    /// unacked, and the client's own buffer stays bounded by this.
    static let window = 1000

    /// The WebSocket transport: pipelined publish frames with `ref` = the event's index,
    /// acks read back in order.
    private func runOverSocket(
        _ plan: Plan, published: ([Received<PublishedEvent>]) -> Void, progress: (Summary) -> Void
    ) async -> Summary {
        let generator = PayloadGenerator(workspaceID: plan.workspaceID, recipientID: plan.recipientID)
        let clock = ContinuousClock()
        let start = clock.now
        var summary = Summary()
        let socket: MulticaSocket
        do {
            socket = try await MulticaSocket.connect(
                server: client.http.server, token: client.http.token, workspaceID: plan.workspaceID, since: nil, subscribe: false
            )
        } catch {
            summary.error = error
            return summary
        }
        defer { socket.close() }
        var frames = socket.events.makeAsyncIterator()
        var sent = 0
        var answered = 0
        var helloSeen = false
        var consecutiveFailures = 0
        while answered < plan.count {
            if helloSeen {
                // Send every event that is due and fits the window.
                while sent < plan.count, sent - answered < Self.window, isDue(sent, plan: plan, since: start, clock: clock) {
                    let payload = plan.payload ?? generator.payload(for: plan.type) ?? .empty
                    socket.send(text: Self.publishFrame(ref: sent, type: plan.type, payload: payload))
                    sent += 1
                }
                if sent == answered, let rate = plan.rate {
                    try? await Task.sleep(until: start + .nanoseconds(Int64(Double(sent) / Double(rate) * 1e9)), clock: clock)
                    continue
                }
            }
            guard let frame = await frames.next() else { break }
            switch frame {
            case .hello:
                helloSeen = true
            case .closed(let closure):
                summary.error = .protocolError("the server closed the socket (\(closure)) after \(answered) of \(plan.count) answers")
                summary.failed += plan.count - answered
                summary.elapsed = clock.now - start
                return summary
            case .other(let bytes):
                guard let reply = Self.reply(bytes) else { continue }
                answered += 1
                switch reply {
                case .ack(let seq, let id):
                    summary.sent += 1
                    consecutiveFailures = 0
                    let event = PublishedEvent(id: id, seq: seq, type: plan.type.rawValue, workspaceID: plan.workspaceID)
                    published([Received(value: event, raw: Array((try? EventJSON.encoder.encode(event)) ?? Data()))])
                case .error(let status, let message):
                    summary.failed += 1
                    summary.lastFailure = .server(status: status, message: message)
                    consecutiveFailures += 1
                    if status < 500 || consecutiveFailures >= maxConsecutiveFailures {
                        summary.error = .server(status: status, message: message)
                        summary.failed += plan.count - answered
                        summary.elapsed = clock.now - start
                        progress(summary)
                        return summary
                    }
                }
                summary.elapsed = clock.now - start
                if answered % 100 == 0 || answered == plan.count { progress(summary) }
            case .event:
                continue
            }
        }
        summary.elapsed = clock.now - start
        return summary
    }

    private func isDue(_ index: Int, plan: Plan, since start: ContinuousClock.Instant, clock: ContinuousClock) -> Bool {
        guard let rate = plan.rate else { return true }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(index) <= seconds * Double(rate)
    }

    static func publishFrame(ref: Int, type: EventType, payload: RawJSONObject) -> String {
        var out: [UInt8] = Array(#"{"type":"publish","ref":"\#(ref)","event":{"type":"#.utf8)
        JSONString.append(type.rawValue, to: &out)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: payload.bytes)
        out.append(contentsOf: "}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// An ack or error frame; nil for anything else (a pong).
    static func reply(_ bytes: [UInt8]) -> PublishReply? {
        guard let members = try? JSONScanner.objectMembers(bytes),
              let type = members.first(where: { $0.key == "type" }).flatMap({ JSONScanner.decodeString(bytes[$0.valueRange]) })
        else { return nil }
        func field(_ name: String) -> ArraySlice<UInt8>? { members.first { $0.key == name }.map { bytes[$0.valueRange] } }
        switch type {
        case "ack":
            guard let seq = field("seq").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }),
                  let id = field("id").flatMap(JSONScanner.decodeString) else { return nil }
            return .ack(seq: seq, id: id)
        case "error":
            let status = field("status").flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 500
            return .error(status: status, message: field("error").flatMap(JSONScanner.decodeString) ?? "error")
        default:
            return nil
        }
    }
}
