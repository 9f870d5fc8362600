import Foundation
import Testing

@testable import MulticaKit

let soakTestsEnabled: Bool = {
    let on = ProcessInfo.processInfo.environment["MULTICA_SOAK"] == "1"
    if !on { print("⏭ skipping soak tests: set MULTICA_SOAK=1 to run them on their own (.ci/run does)") }
    return on
}()

/// Soak and fault tests (issue 12), bounded in count and time, loopback only. They load
/// both cores, so they run on their own: only with MULTICA_SOAK=1, which `.ci/run` sets
/// for a separate `swift test --filter SoakTests` step before the full run (sharing the
/// machine with every other suite made unrelated servers miss their timeouts). Without
/// it the suite is skipped with one line.
@Suite("Soak and faults", .serialized, .enabled(if: soakTestsEnabled))
struct SoakTests {
    static let full = true

    /// Runs `count` blocking jobs on `workers` dispatch threads (blocking sockets must
    /// not run on the cooperative pool).
    private func parallel(_ count: Int, workers: Int, _ job: @escaping @Sendable (Int) -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for worker in 0..<workers {
                DispatchQueue.global().async(group: group) {
                    var index = worker
                    while index < count {
                        job(index)
                        index += workers
                    }
                }
            }
            group.notify(queue: .global()) { done.resume() }
        }
    }

    /// One upgrade, hello read, then gone by close frame, FIN or RST (by `index % 3`).
    private static func churnOnce(port: Int, path: String, index: Int, failures: HitCount) {
        guard let client = try? RawTCP(port: port) else { return failures.add() }
        do {
            try client.upgrade(port: port, path: path, timeout: 5)
            guard client.nextFrame(timeout: 5)?.opcode == 0x1 else { return failures.add() }
        } catch {
            return failures.add()
        }
        switch index % 3 {
        case 0:
            client.send(RawTCP.clientFrame(opcode: 0x8, payload: [0x03, 0xE8]))
            client.closeNow()
        case 1:
            client.shutdownWrite()
            client.closeNow()
        default:
            client.reset()
        }
    }

    /// One HTTP request on its own connection (`Connection: close`), so no keep-alive
    /// socket of the test lingers in the server's fd count. Returns status and body.
    private static func request(port: Int, _ method: String, _ path: String, token: String, body: String = "") -> (status: Int, body: String)? {
        guard let client = try? RawTCP(port: port) else { return nil }
        client.send(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        let (bytes, closed) = client.read(timeout: 10)
        let text = String(decoding: bytes, as: UTF8.self)
        guard closed, let head = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return (status, String(text[head.upperBound...]))
    }

    @Test func connectionChurnReturnsFDsAndMemory() async throws {
        try await allowingBlocking {
            let total = Self.full ? 20_000 : 3_000
            if !Self.full { print("soak: connection churn with \(total) connects (20,000 when CI=true or MULTICA_SOAK=1)") }
            let child = try await ServeChild()
            defer { child.stop() }
            let tokens = try TokenService(secret: LiveServer.secret)
            let token = try await tokens.mint(TokenClaims(subject: "churn", expiresAt: Date().addingTimeInterval(3600)))
            let port = child.port
            let created = try #require(Self.request(port: port, "POST", "/api/workspaces", token: token, body: #"{"name":"churn"}"#))
            let object = try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any]
            let workspace = try #require(object?["id"] as? String, "workspace create answered \(created.status) \(created.body)")
            let path = "/ws?workspace_id=\(workspace)&token=\(token)"
            let failures = HitCount()
            // 1,000 events of 1 KiB, so that a page of history is a read long enough for
            // concurrent ones to overlap.
            let event = #"{"type":"custom:warm","workspace_id":"\#(workspace)","payload":{"pad":"\#(String(repeating: "x", count: 1024))"}}"#
            for _ in 0..<2 {
                let published = Self.request(port: port, "POST", "/api/events", token: token, body: "[" + Array(repeating: event, count: 500).joined(separator: ",") + "]")
                #expect(published?.status == 201)
            }

            // Warm-up until the server's fds hold still, so the base is its working size:
            // the SQLite pool opens reader connections (2 fds each: the file and its WAL)
            // lazily, up to its maximum, as concurrent reads need them; an earlier base
            // taken after churn alone had fewer (26 -> 30 on CI: two readers opened
            // later; the pool only grows when reads overlap). Each round: joins of every
            // ending, and 16 clients reading 1,000-event pages of history at once.
            var warm = -1
            var settled = false
            for _ in 0..<6 {
                await parallel(1_000, workers: 8) { Self.churnOnce(port: port, path: path, index: $0, failures: failures) }
                await parallel(400, workers: 16) { _ in
                    _ = Self.request(port: port, "GET", "/api/events?workspace_id=\(workspace)&limit=1000", token: token)
                }
                try await Task.sleep(for: .seconds(2))
                let now = child.openFDs()
                if now == warm {
                    settled = true
                    break
                }
                warm = now
            }
            #expect(settled, "fds still changing after the warm-up rounds: \(warm)")
            let baseFDs = child.openFDs()
            let baseRSS = child.residentKiB()
            let baseTargets = child.fdTargets()

            await parallel(total, workers: 8) { Self.churnOnce(port: port, path: path, index: $0, failures: failures) }
            try await Task.sleep(for: .seconds(2))
            let fds = child.openFDs()
            let rss = child.residentKiB()
            print("soak: churn \(total) connects: fds \(baseFDs) -> \(fds), RSS \(baseRSS) KiB -> \(rss) KiB, failed handshakes \(failures.value)")
            let targets = child.fdTargets()
            print("soak: churn base fds: \(baseTargets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            let opened = targets.filter { baseTargets[$0.key] != $0.value }.sorted { $0.key < $1.key }
            let closed = baseTargets.filter { targets[$0.key] != $0.value }.sorted { $0.key < $1.key }
            print("soak: churn fds opened since the base: \(opened.map { "\($0.key)=\($0.value)" }), closed: \(closed.map { "\($0.key)=\($0.value)" })")
            #expect(failures.value == 0)
            #expect(child.process.isRunning)
            // Within 10% of the base (issue 12): 2 fds on a base of about 30. A leak of
            // even 0.1% of the connects would be 20.
            #expect(fds <= baseFDs + baseFDs / 10, "fds \(baseFDs) -> \(fds)")
            #expect(Double(rss) <= Double(baseRSS) * 1.1, "RSS \(baseRSS) -> \(rss) KiB")
        }
    }

    /// The seqs of the next `count` event frames, parsed as they come (holding 1,500
    /// frames of 8 KiB per socket as text would cost gigabytes across 100 sockets).
    private static func seqs(_ count: Int, from socket: TestSocket) async throws -> [Int64] {
        var seqs: [Int64] = []
        seqs.reserveCapacity(count)
        while seqs.count < count {
            switch try await socket.next(timeout: 30) {
            case .text(let text): seqs.append(try Frame(text).seq)
            case let other: throw TimedOut(what: "wanted \(count) frames, got \(seqs.count) then \(other)")
            }
        }
        return seqs
    }

    /// What one slow consumer saw: the seqs before its close, the close code, and the
    /// seqs its resumed socket got.
    private struct SlowRun: Sendable {
        var before: [Int64] = []
        var code: UInt16?
        var recovered: JSONValue?
        var after: [Int64] = []
    }

    /// Stalled readers overflow their send queue and are evicted with 4008 while readers
    /// that keep up get every event; an evicted reader resumes with `since` and loses
    /// nothing. The slow sockets have a 4 KiB SO_RCVBUF: with loopback's autotuned
    /// receive buffers (up to 32 MiB here) the kernel alone held everything sent to a
    /// stalled reader, its queue never overflowed and no 4008 came (issue-12 report).
    @Test func slowConsumersAreEvictedAndResumeWhileFastOnesGetEverything() async throws {
        try await allowingBlocking {
            let (slowCount, fastCount, events) = Self.full ? (50, 50, 1500) : (10, 10, 1500)
            if !Self.full { print("soak: slow consumers with \(slowCount)+\(fastCount) sockets (50+50 when CI=true or MULTICA_SOAK=1)") }
            // The eviction grace is long enough for every stalled reader to be told why:
            // the test resumes them only once all are evicted (the load may still run), and
            // the 4008 sits behind what the server had already queued for them.
            try await LiveServer.with(sockets: SocketSettings(sendQueueLimit: 64, evictionGrace: .seconds(60))) { server in
                let workspace = try await server.createWorkspace("Load", owner: "alice")
                var slowJoined: [TestSocket] = []
                var fastJoined: [TestSocket] = []
                // Creating the workspace already logged events: count from its head.
                var base: Int64 = 0
                for _ in 0..<slowCount {
                    let (socket, hello) = try await server.joined("alice", workspace: workspace, receiveBuffer: 4096)
                    if case .int(let head)? = hello["head_seq"] { base = head }
                    try await socket.stopReading()
                    slowJoined.append(socket)
                }
                for _ in 0..<fastCount { fastJoined.append(try await server.joined("alice", workspace: workspace).0) }
                let (slow, fast) = (slowJoined, fastJoined)
                let evictedBefore = server.server.realtime.metrics.slowConsumerEvictionCount

                // 8 KiB payloads, 12 MB per socket. What a stalled reader can hold is at
                // most the server's send buffer (autotuned even against a small window,
                // but capped by tcp_wmem's 4 MiB maximum), 8 KiB of receive buffer,
                // 512 KiB of NIO write buffer and 64 queued frames: about 640 frames,
                // less than half of the load (600 x 4 KiB all fitted in the kernel).
                let payload = #"{"pad":"\#(String(repeating: "x", count: 8 * 1024))"}"#
                let token = try await server.token("alice")
                let publisher = Task {
                    for start in stride(from: 0, to: events, by: 20) {
                        let batch = (start..<min(events, start + 20)).map { _ in
                            #"{"type":"custom:load","workspace_id":"\#(workspace)","payload":\#(payload)}"#
                        }
                        let result = try await server.http("POST", "/api/events", token: token, body: "[\(batch.joined(separator: ","))]")
                        guard result.status == 201 else { throw TimedOut(what: "publish answered \(result.status) \(result.text)") }
                    }
                }
                let first = base
                let last = base + Int64(events)
                // Fast readers get every event, in order, with no gap.
                let fastReaders = Task {
                    try await withThrowingTaskGroup(of: [Int64].self) { group in
                        for socket in fast {
                            group.addTask { try await Self.seqs(events, from: socket) }
                        }
                        var complete = 0
                        for try await seqs in group {
                            #expect(seqs == Array((first + 1)...last), "a fast reader missed events")
                            if seqs == Array((first + 1)...last) { complete += 1 }
                        }
                        return complete
                    }
                }

                // Every stalled reader is evicted while the load runs...
                let allEvicted = await eventually(60) {
                    server.server.realtime.metrics.slowConsumerEvictionCount - evictedBefore >= slowCount
                }
                let evicted = server.server.realtime.metrics.slowConsumerEvictionCount - evictedBefore
                #expect(allEvicted, "only \(evicted) of \(slowCount) slow consumers were evicted")
                // Resume at once, while the load may still run: a resumed socket whose live
                // buffer (64 frames here) overflows during its replay catches up from the
                // log instead of being evicted again.
                // ...and, reading again, finds its 4008 right after a gapless prefix of the
                // stream; resuming with `since` gets exactly the rest: no gap, no duplicate.
                let runs = try await withThrowingTaskGroup(of: SlowRun.self) { group in
                    for socket in slow {
                        group.addTask {
                            var run = SlowRun()
                            try await socket.resumeReading()
                            reading: while true {
                                switch try await socket.next(timeout: 20) {
                                case .text(let text): run.before.append(try Frame(text).seq)
                                case .close(let received): run.code = received; break reading
                                case .ended: break reading
                                }
                            }
                            await socket.close()
                            let resumeFrom = run.before.last ?? first
                            let (resumed, hello) = try await server.joined("alice", workspace: workspace, since: resumeFrom)
                            run.recovered = hello["recovered"]
                            run.after = try await Self.seqs(Int(last - resumeFrom), from: resumed)
                            await resumed.close()
                            return run
                        }
                    }
                    var runs: [SlowRun] = []
                    for try await run in group { runs.append(run) }
                    return runs
                }
                try await publisher.value
                for run in runs {
                    #expect(run.code == 4008, "slow consumer closed with \(run.code.map(String.init) ?? "no close frame")")
                    let got = run.before.last ?? first
                    #expect(run.before == Array(stride(from: first + 1, through: got, by: 1)), "gap or duplicate before eviction")
                    #expect(got < last, "an evicted reader had already been sent everything")
                    #expect(run.recovered == .bool(true))
                    #expect(run.before + run.after == Array((first + 1)...last), "resume after \(got) left a gap or a duplicate")
                }
                let complete = try await fastReaders.value
                let prefixes = runs.map(\.before.count)
                print(
                    "soak: slow consumers: \(evicted) of \(slowCount) evicted, \(runs.filter { $0.code == 4008 }.count) saw 4008, "
                        + "events before eviction \(prefixes.min() ?? 0)...\(prefixes.max() ?? 0) of \(events), "
                        + "\(runs.filter { $0.before + $0.after == Array((first + 1)...last) }.count) resumed gapless; "
                        + "\(complete) of \(fastCount) fast readers got all \(events)"
                )
                for socket in fast { await socket.close() }
            }
        }
    }

    /// Runs a command to completion; its exit status and what it printed on stderr.
    private static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(error)") }
        process.waitUntilExit()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, printed.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes `file` until the file system refuses (ENOSPC): big chunks, then small ones
    /// for the last few KiB. Returns the bytes written.
    private static func fill(_ file: URL) throws -> Int {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var written = 0
        for size in [256 * 1024, 4 * 1024, 512] {
            let chunk = Data(repeating: 0x5A, count: size)
            while (try? handle.write(contentsOf: chunk)) != nil { written += size }
        }
        return written
    }

    /// The database on a full disk (a small tmpfs, then a filler file): every write is
    /// refused with 503 and a JSON error, nothing of it reaches a socket or the log, the
    /// REST state and the event log agree; once space returns the same process goes on
    /// (next write delivered with the next seq) and the file passes `integrity_check`.
    @Test func aFullDiskRefusesWritesWith503AndTheServerRecoversWithoutARestart() async throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("multica-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        let mounted = Self.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.path])
        guard mounted.status == 0 else {
            print("⏭ soak: skipping the disk-full test: cannot mount a tmpfs here (\(mounted.stderr))")
            return
        }
        defer {
            // The server has closed the database by now; a lazy unmount is the fallback
            // should anything still hold a file there, so no mount outlives the test.
            if Self.run("/usr/bin/umount", [mount.path]).status != 0 { _ = Self.run("/usr/bin/umount", ["-l", mount.path]) }
        }
        // A directory inside the mount: the server removes its database's directory on
        // stop, and the mount point itself must stay.
        let databasePath = mount.appendingPathComponent("db/test.db").path
        try await LiveServer.with(configure: { $0.databasePath = databasePath }) { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace("Full")
            let (socket, hello) = try await server.joined("alice", workspace: workspace)
            guard case .int(let base)? = hello["head_seq"] else { throw TimedOut(what: "hello without head_seq: \(hello)") }
            func createIssue(_ title: String) async throws -> APIResponse {
                try await alice.send("POST", "/api/issues", object: [
                    "workspace_id": .string(workspace), "title": .string(title),
                    "description": .string(String(repeating: "d", count: 2048)),
                ])
            }
            let before = try await createIssue("before")
            #expect(before.status == 201)
            #expect(try await socket.texts(1, timeout: 10).map { try Frame($0).seq } == [base + 1])

            let filler = mount.appendingPathComponent("filler")
            let filled = try Self.fill(filler)
            // Issues (refused at their row insert) and synthetic events (refused when the
            // log appends them), with the disk full.
            var answers: [APIResponse] = []
            var created: [String] = [try before.json().string("id")]
            for index in 0..<6 {
                let answer: APIResponse
                if index % 2 == 0 {
                    answer = try await createIssue("during \(index)")
                } else {
                    answer = try await alice.send(
                        "POST", "/api/events", json: #"{"type":"disk:probe","workspace_id":"\#(workspace)","payload":{"n":\#(index)}}"#
                    )
                }
                answers.append(answer)
                if answer.status == 201, index % 2 == 0 { created.append(try answer.json().string("id")) }
            }
            let refused = answers.filter { $0.status != 201 }
            let accepted = answers.count - refused.count
            #expect(!refused.isEmpty, "the disk never filled: \(filled) bytes of filler, every write succeeded")
            for answer in refused {
                #expect(answer.status == 503, "a write on a full disk answered \(answer)")
                #expect(answer.error == "storage unavailable", "not a JSON error: \(answer)")
            }

            // Space returns: the same process carries on.
            try FileManager.default.removeItem(at: filler)
            let after = try await createIssue("after")
            #expect(after.status == 201, "no recovery after space returned: \(after)")
            if after.status == 201 { created.append(try after.json().string("id")) }
            // Delivery is in order, so once the frame of `after` is in, every frame the
            // refused writes could have caused would have come first.
            let frames = try await socket.texts(accepted + 1, timeout: 10).map { try Frame($0) }
            #expect(frames.map(\.seq) == Array((base + 2)...(base + 2 + Int64(accepted))), "refused writes took seqs")
            #expect(frames.last?.type == "issue:created")
            try await Task.sleep(for: .milliseconds(300))
            #expect(socket.drain().isEmpty, "frames after the last write")

            // The REST state and the log agree: the issues that exist are exactly those
            // answered 201, each with its issue:created event, and nothing else was logged.
            let listed = try await alice.expect(200, "GET", "/api/issues?workspace_id=\(workspace)")
            let listedIDs = Set(listed.arrayValue?.map { $0.string("id") } ?? [])
            let logged = try await alice.events(workspace, since: base)
            let loggedIssueIDs = Set(logged.filter { $0.type.rawValue == "issue:created" }.map { $0.payloadJSON["issue"]?.string("id") ?? "" })
            #expect(listedIDs == Set(created))
            #expect(loggedIssueIDs == Set(created))
            #expect(logged.map(\.seq) == Array((base + 1)...(base + 2 + Int64(accepted))))
            let integrity = try SQLiteDatabase(path: databasePath).pragma("integrity_check")
            #expect(integrity == "ok")
            print(
                "soak: disk full after \(filled) bytes of filler: \(answers.count) writes answered \(answers.map(\.status)), "
                    + "bodies \(Set(refused.map(\.text))); after space returned \(after.status) with seq \(frames.last?.seq ?? -1) "
                    + "(head before \(base + 1)), integrity_check \(integrity ?? "nil")"
            )
            await socket.close()
        }
    }

    @Test func garbageOnTheWebSocketClosesAndTheServerStaysUp() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let workspace = try await server.createWorkspace("Noise", owner: "alice")
                let token = try await server.token("alice")
                var generator = SeededGenerator(seed: 12)
                for round in 0..<30 {
                    let client = try RawTCP(port: server.port)
                    try client.upgrade(port: server.port, path: "/ws?workspace_id=\(workspace)&token=\(token)")
                    _ = client.nextFrame(timeout: 5)
                    let noise = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    client.send(noise)
                    client.shutdownWrite()
                    let code = client.closeCode(timeout: 5)
                    // Random bytes may end in any protocol error, or simply in the FIN.
                    #expect(code == nil || [1002, 1007, 1009].contains(code!), "round \(round): \(code!)")
                    #expect(client.waitForEOF(timeout: 15))
                }
                #expect(try await server.http("GET", "/healthz").status == 200)
                let ok = try await server.joined("alice", workspace: workspace)
                await ok.0.close()
            }
        }
    }
}

/// A thread-safe counter for blocking worker threads.
final class HitCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// SplitMix64: reproducible noise.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
