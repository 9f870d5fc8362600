import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `multica bench fanout`: N WebSocket subscribers over W workspaces, K events
/// published through `POST /api/events`, every delivery counted and timed.
///
/// Phases: set up (server, workspaces, users) → connect (timed) → publish while the
/// sockets read (the delivery window: first send to last receive, over which the
/// server's and the bench's CPU are measured) → drain (bounded wait for stragglers)
/// → tear down. The subscribers run on every event loop of one NIO group and keep
/// per-loop counters, so no lock is taken per message.
public enum FanoutBench {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public var unreachable = false
        init(_ description: String, unreachable: Bool = false) {
            self.description = description
            self.unreachable = unreachable
        }
    }

    public static func run(_ options: FanoutBenchOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> FanoutBenchReport {
        precondition(options.connections > 0 && options.workspaces > 0 && options.events > 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        var spawned: BenchServerProcess?
        do {
            let host: String, port: Int, secret: [UInt8], pid: Int32?
            if let server = options.server {
                guard let url = URL(string: server), let h = url.host, url.scheme == "http" else {
                    throw Failure("invalid server URL '\(server)': expected http://HOST:PORT")
                }
                host = h
                port = url.port ?? 80
                secret = (try? SecretResolver.resolve(environment: options.environment, createIfMissing: false))
                    ?? Array(BenchSystem.randomHex(64).utf8)
                pid = options.serverPID
            } else {
                progress("starting multica serve…")
                let generated = BenchSystem.randomHex(64)
                let process = try await BenchServerProcess.start(
                    executable: options.executable ?? BenchSystem.currentExecutable(), secret: generated
                )
                spawned = process
                host = "127.0.0.1"
                port = process.port
                secret = Array(generated.utf8)
                pid = process.pid
            }
            var publishAddress = try ServerAddress("http://\(host):\(port)")
            if let publishServer = options.publishServer {
                guard let url = URL(string: publishServer), url.host != nil, url.scheme == "http" else {
                    throw Failure("invalid publish server URL '\(publishServer)': expected http://HOST:PORT")
                }
                publishAddress = try ServerAddress(publishServer)
            }
            let run = Run(options: options, group: group, host: host, port: port, publishAddress: publishAddress,
                          tokens: try TokenService(secret: secret), serverPID: pid, spawned: spawned != nil, progress: progress)
            let report = try await run.execute()
            await spawned?.stop()
            try? await group.shutdownGracefully()
            return report
        } catch {
            await spawned?.stop()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// A payload of about `bytes` bytes whose last member is the send time:
    /// `{"pad":"xxx…","bt":NANOS}`.
    public static func payload(bytes: Int, sendTime: UInt64) -> String {
        let time = String(sendTime)
        let overhead = #"{"pad":"","bt":}"#.utf8.count + time.utf8.count
        return #"{"pad":""# + String(repeating: "x", count: max(0, bytes - overhead)) + #"","bt":"# + time + "}"
    }
}

private struct Run {
    let options: FanoutBenchOptions
    let group: MultiThreadedEventLoopGroup
    let host: String
    let port: Int
    /// Where events are published: the subscribers' server unless `--publish-server`.
    let publishAddress: ServerAddress
    let tokens: TokenService
    let serverPID: Int32?
    let spawned: Bool
    let progress: @Sendable (String) -> Void

    private var serverDescription: String {
        let subscribers = options.server ?? "spawned http://\(host):\(port)"
        guard let publishServer = options.publishServer else { return subscribers }
        return "\(subscribers), publishing through \(publishServer)"
    }

    func execute() async throws -> FanoutBenchReport {
        let runID = BenchSystem.randomHex(8)
        let server: ServerAddress
        do { server = try ServerAddress("http://\(host):\(port)") } catch { throw FanoutBench.Failure("\(error)") }
        // Setup calls go through the CLI's own HTTP client, one per token.
        func client(_ token: String) -> MulticaHTTPClient { MulticaHTTPClient(server: server, token: token, group: group) }
        func text(_ response: ClientResponse) -> String { String(decoding: response.body.prefix(200), as: UTF8.self) }

        // Workspaces (one owner, who also publishes) and one subscriber user each.
        progress("creating \(options.workspaces) workspaces…")
        let ownerToken = try await mint("bench-\(runID)-owner")
        let owner = client(ownerToken)
        var workspaceIDs: [String] = []
        var subscriberTokens: [String] = []
        do {
            for w in 0..<options.workspaces {
                let created = try await owner.send(
                    .POST, "/api/workspaces", body: Array(#"{"name":"bench \#(runID) \#(w)","slug":"bench-\#(runID)-\#(w)"}"#.utf8)
                )
                guard created.isSuccess, let id = Self.stringField("id", in: String(decoding: created.body, as: UTF8.self)) else {
                    throw FanoutBench.Failure("creating a workspace answered \(created.status): \(text(created))")
                }
                let user = "bench-\(runID)-sub-\(w)"
                let token = try await mint(user)
                let subscriber = client(token)
                let me = try await subscriber.send(.GET, "/api/workspaces")  // creates the user row
                await subscriber.shutdown()
                guard me.isSuccess else { throw FanoutBench.Failure("GET /api/workspaces answered \(me.status): \(text(me))") }
                let added = try await owner.send(
                    .POST, "/api/workspaces/\(id)/members", body: Array(#"{"user_id":"\#(user)","role":"member"}"#.utf8)
                )
                guard added.isSuccess else { throw FanoutBench.Failure("adding a member answered \(added.status): \(text(added))") }
                workspaceIDs.append(id)
                subscriberTokens.append(token)
            }
        } catch let error as ClientError {
            if case .unreachable = error { throw FanoutBench.Failure("\(error)", unreachable: true) }
            throw FanoutBench.Failure("\(error)")
        }
        // Event i goes to workspace i % W.
        let perWorkspace = (0..<options.workspaces).map { w in options.events / options.workspaces + (w < options.events % options.workspaces ? 1 : 0) }

        // Connect.
        var loopStats: [BenchLoopStats] = []
        for loop in group.makeIterator() { loopStats.append(BenchLoopStats(loop: loop)) }
        let rssBefore = serverPID.flatMap(BenchSystem.rssKiB)
        progress("connecting \(options.connections) sockets…")
        let connectStart = BenchSystem.monotonicNanos()
        let channels = try await connectAll(workspaceIDs: workspaceIDs, tokens: subscriberTokens, perWorkspace: perWorkspace, stats: loopStats)
        let connectSeconds = Double(BenchSystem.monotonicNanos() - connectStart) / 1e9
        try await Task.sleep(for: .milliseconds(300))  // let the server settle before reading its RSS
        let rssAfter = serverPID.flatMap(BenchSystem.rssKiB)
        progress("connected \(channels.count) sockets in \(String(format: "%.2f", connectSeconds))s")

        // Publish and receive.
        let expected = (0..<options.connections).reduce(0) { $0 + perWorkspace[$1 % options.workspaces] }
        let serverCPUStart = serverPID.flatMap(BenchSystem.cpuSeconds)
        let benchCPUStart = BenchSystem.selfCPUSeconds()
        let publishStart = BenchSystem.monotonicNanos()
        let waiter = Task { try await waitForDeliveries(expected: expected, stats: loopStats) }
        let published: Int
        do {
            published = try await publishAll(workspaceIDs: workspaceIDs, token: ownerToken)
        } catch {
            waiter.cancel()
            throw error
        }
        let publishSeconds = Double(BenchSystem.monotonicNanos() - publishStart) / 1e9
        try await waiter.value
        let benchCPUEnd = BenchSystem.selfCPUSeconds()
        let serverCPUEnd = serverPID.flatMap(BenchSystem.cpuSeconds)

        // Collect the per-loop figures on their loops.
        var histogram = LatencyHistogram()
        var unique = 0, duplicates = 0, unexpected = 0, closedEarly = 0
        var lastReceive: UInt64 = publishStart
        for stats in loopStats {
            let snapshot = try await stats.loop.submit { (stats.histogram, stats.unique, stats.duplicates, stats.unexpected, stats.closedEarly, stats.lastReceiveNanos) }.get()
            histogram.merge(snapshot.0)
            unique += snapshot.1
            duplicates += snapshot.2
            unexpected += snapshot.3
            closedEarly += snapshot.4
            lastReceive = max(lastReceive, snapshot.5)
        }
        progress("")
        for channel in channels { channel.close(promise: nil) }

        let deliverySeconds = Double(lastReceive - publishStart) / 1e9
        let delivered = unique
        func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
        let serverCPU = serverCPUStart.flatMap { start in serverCPUEnd.map { $0 - start } }
        return FanoutBenchReport(
            server: serverDescription, spawned: spawned, connections: options.connections, workspaces: options.workspaces,
            events: options.events, rate: options.rate, payloadBytes: options.payloadBytes,
            connectSeconds: connectSeconds, connectsPerSecond: Double(options.connections) / connectSeconds,
            published: published, publishSeconds: publishSeconds, expected: expected, delivered: delivered,
            lost: expected - delivered, duplicates: duplicates, unexpected: unexpected, closedEarly: closedEarly,
            deliverySeconds: deliverySeconds, deliveredPerSecond: deliverySeconds > 0 ? Double(delivered) / deliverySeconds : 0,
            latencyP50Ms: ms(histogram.percentile(0.50)), latencyP90Ms: ms(histogram.percentile(0.90)),
            latencyP99Ms: ms(histogram.percentile(0.99)), latencyMaxMs: ms(histogram.max),
            serverCPUPerMessageUs: serverCPU.map { delivered > 0 ? $0 * 1e6 / Double(delivered) : 0 },
            serverCPUSeconds: serverCPU,
            serverRSSBeforeKiB: rssBefore, serverRSSAfterKiB: rssAfter,
            serverRSSPerSocketKiB: rssBefore.flatMap { b in rssAfter.map { Double($0 - b) / Double(options.connections) } },
            benchCPUPerMessageUs: delivered > 0 ? (benchCPUEnd - benchCPUStart) * 1e6 / Double(delivered) : 0
        )
    }

    private func mint(_ user: String) async throws -> String {
        let now = Date()
        return try await tokens.mint(TokenClaims(subject: user, expiresAt: now.addingTimeInterval(6 * 3600), issuedAt: now))
    }

    /// Opens the sockets, `connectConcurrency` at a time; socket j joins workspace j % W
    /// on event loop j % loops. Throws on the first socket that cannot connect.
    private func connectAll(workspaceIDs: [String], tokens: [String], perWorkspace: [Int], stats: [BenchLoopStats]) async throws -> [any Channel] {
        let n = options.connections
        let w = workspaceIDs.count
        return try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
            var channels: [any Channel] = []
            channels.reserveCapacity(n)
            var next = 0
            func launch(_ j: Int) {
                let s = stats[j % stats.count]
                let path = "/ws?workspace_id=\(workspaceIDs[j % w])&token=\(tokens[j % w])"
                let (host, port, expected) = (self.host, self.port, perWorkspace[j % w])
                tasks.addTask {
                    try await BenchSocket.connect(host: host, port: port, path: path, loop: s.loop, stats: s,
                                                  expectedEvents: expected, timeout: .seconds(30)).get().0
                }
            }
            while next < min(n, options.connectConcurrency) { launch(next); next += 1 }
            do {
                while let channel = try await tasks.next() {
                    channels.append(channel)
                    if channels.count % 1000 == 0 { progress("connected \(channels.count)/\(n)…") }
                    if next < n { launch(next); next += 1 }
                }
            } catch {
                for channel in channels { channel.close(promise: nil) }
                throw FanoutBench.Failure("socket \(channels.count + 1) of \(n) could not connect: \(error)")
            }
            return channels
        }
    }

    /// Publishes every event from `publishers` keep-alive connections: batches of
    /// `batchSize` as fast as possible, or one event per request at `rate`. Returns
    /// how many seqs the server answered with.
    private func publishAll(workspaceIDs: [String], token: String) async throws -> Int {
        if options.transport == .ws { return try await publishOverSockets(workspaceIDs: workspaceIDs, token: token) }
        let k = options.events
        let publishers = max(1, min(options.publishers, k))
        let server = publishAddress
        // One keep-alive connection per publisher: each client sends one request at a time.
        let connections = (0..<publishers).map { _ in MulticaHTTPClient(server: server, token: token, group: group) }
        // Their kept-alive connections close when the clients are released.
        let batch = options.rate == nil ? max(1, min(options.batchSize, 1000)) : 1
        let nextEvent = BenchCounter()
        let rate = options.rate
        let payloadBytes = options.payloadBytes
        let start = ContinuousClock.now
        let progress = self.progress
        return try await withThrowingTaskGroup(of: Int.self) { tasks in
            for connection in connections {
                tasks.addTask {
                    var answered = 0
                    var body: [UInt8] = []
                    while true {
                        let first = nextEvent.value.wrappingAdd(batch, ordering: .relaxed).oldValue
                        guard first < k else { break }
                        let last = min(k, first + batch)
                        if let rate {
                            let due = start + .nanoseconds(Int64(first) * 1_000_000_000 / Int64(rate))
                            if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
                        }
                        body.removeAll(keepingCapacity: true)
                        if batch > 1 { body.append(UInt8(ascii: "[")) }
                        let now = BenchSystem.monotonicNanos()
                        for i in first..<last {
                            if i > first { body.append(UInt8(ascii: ",")) }
                            body.append(contentsOf: #"{"type":"bench:fanout","workspace_id":""#.utf8)
                            body.append(contentsOf: workspaceIDs[i % workspaceIDs.count].utf8)
                            body.append(contentsOf: #"","payload":"#.utf8)
                            body.append(contentsOf: FanoutBench.payload(bytes: payloadBytes, sendTime: now).utf8)
                            body.append(UInt8(ascii: "}"))
                        }
                        if batch > 1 { body.append(UInt8(ascii: "]")) }
                        let response: ClientResponse
                        do { response = try await connection.send(.POST, "/api/events", body: body) } catch {
                            throw FanoutBench.Failure("POST /api/events failed: \(error)")
                        }
                        guard response.isSuccess else {
                            throw FanoutBench.Failure(
                                "POST /api/events answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                            )
                        }
                        let seqs = response.body.withUnsafeBytes { Run.count(BenchSocketReader.seqKey, in: $0) }
                        answered += seqs
                        if rate != nil, last % max(1, k / 20) == 0 { progress("published \(last)/\(k)…") }
                    }
                    return answered
                }
            }
            return try await tasks.reduce(0, +)
        }
    }

    /// Publishes every event as pipelined `publish` frames, one publish-only socket per
    /// workspace (event i goes to workspace i mod W), at most `Emitter.window` frames
    /// unanswered per socket, paced to `rate` when given. Returns how many were acked.
    private func publishOverSockets(workspaceIDs: [String], token: String) async throws -> Int {
        let k = options.events
        let server = publishAddress
        let rate = options.rate
        let payloadBytes = options.payloadBytes
        let group = self.group
        let start = ContinuousClock.now
        let progress = self.progress
        return try await withThrowingTaskGroup(of: Int.self) { tasks in
            for (index, workspace) in workspaceIDs.enumerated() {
                let mine = stride(from: index, to: k, by: workspaceIDs.count).map { $0 }
                guard !mine.isEmpty else { continue }
                tasks.addTask {
                    let socket: MulticaSocket
                    do {
                        socket = try await MulticaSocket.connect(
                            server: server, token: token, workspaceID: workspace, since: nil, subscribe: false, group: group
                        )
                    } catch {
                        throw FanoutBench.Failure("publish socket for \(workspace): \(error)")
                    }
                    defer { socket.close() }
                    var frames = socket.events.makeAsyncIterator()
                    guard case .hello? = await frames.next() else { throw FanoutBench.Failure("publish socket: no hello") }
                    var sent = 0, acked = 0
                    while acked < mine.count {
                        while sent < mine.count, sent - acked < Emitter.window {
                            let i = mine[sent]
                            if let rate {
                                let due = start + .nanoseconds(Int64(i) * 1_000_000_000 / Int64(rate))
                                if due > ContinuousClock.now {
                                    if sent > acked { break }  // read acks meanwhile
                                    try await Task.sleep(until: due, clock: .continuous)
                                }
                            }
                            let payload = FanoutBench.payload(bytes: payloadBytes, sendTime: BenchSystem.monotonicNanos())
                            socket.send(text: #"{"type":"publish","ref":"\#(i)","event":{"type":"bench:fanout","payload":\#(payload)}}"#)
                            sent += 1
                        }
                        guard let frame = await frames.next() else { break }
                        switch frame {
                        case .other(let bytes):
                            switch Emitter.reply(bytes) {
                            case .ack?: acked += 1
                            case .error(let status, let message)?: throw FanoutBench.Failure("publish answered \(status): \(message)")
                            case nil: continue
                            }
                            if rate != nil, acked % max(1, k / 20) == 0 { progress("published \(acked * workspaceIDs.count)/\(k)…") }
                        case .closed(let closure):
                            throw FanoutBench.Failure("publish socket closed: \(closure)")
                        case .hello, .event:
                            continue
                        }
                    }
                    return acked
                }
            }
            return try await tasks.reduce(0, +)
        }
    }

    /// Waits until every expected delivery arrived, or nothing new arrived for
    /// `drainTimeout` (the loss is then reported, not waited for).
    private func waitForDeliveries(expected: Int, stats: [BenchLoopStats]) async throws {
        var last = -1
        var lastChange = ContinuousClock.now
        var lastReport = ContinuousClock.now
        let hardDeadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < hardDeadline {
            let received = stats.reduce(0) { $0 + $1.received.load(ordering: .relaxed) }
            if received >= expected { return }
            let now = ContinuousClock.now
            if received != last {
                last = received
                lastChange = now
            } else if now - lastChange > options.drainTimeout {
                return
            }
            if now - lastReport > .milliseconds(250) {
                lastReport = now
                progress("received \(received)/\(expected)…")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    static func count(_ key: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= key.count else { return 0 }
        var n = 0
        var i = 0
        while i + key.count <= bytes.count {
            var match = true
            for j in 0..<key.count where bytes[i + j] != key[j] { match = false; break }
            if match { n += 1; i += key.count } else { i += 1 }
        }
        return n
    }

    /// The string value of the first `"name":"…"` in `json` (no escapes expected).
    static func stringField(_ name: String, in json: String) -> String? {
        guard let range = json.range(of: "\"\(name)\":\"") else { return nil }
        let rest = json[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

/// A shared counter for tasks (an `Atomic` cannot be captured by value).
final class BenchCounter: Sendable {
    let value = Atomic<Int>(0)
}
