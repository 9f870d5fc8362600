import Foundation
import Logging

/// `verify isolation`: proves on a live server that no event crosses from one
/// workspace to another (SPEC §5 routing rules, §7 upgrade checks).
///
/// It creates `workspaces` workspaces, each with its own owner and member (throwaway
/// users minted with the signing secret), joins `clients` sockets to each, publishes
/// every catalog type in every workspace (the two `daemon:*` types once, as a server
/// admin; `inbox:*` addressed to one member), then checks what every socket got:
/// nothing foreign; every own event exactly once and in `seq` order; the §7 refusals;
/// inbox events only at their recipient; a member removed through the REST API is
/// closed with 4003 and gets nothing after; and a reconnect with `since` replays
/// exactly the missed events. Every wait is bounded by `waitTimeout`: a timeout is a
/// failed check, never a hang.
public struct IsolationVerifier: Sendable {
    public struct Options: Sendable {
        /// At least 2.
        public var workspaces: Int
        /// Sockets per workspace, at least 2 (alternating owner and member).
        public var clients: Int
        /// Events per workspace in the main phase; raised to cover every workspace type.
        public var events: Int
        /// Longest wait for anything: a socket, an event, a close.
        public var waitTimeout: Duration
        /// Extra time after the expected events arrived, to catch late leaks and duplicates.
        public var settle: Duration

        public init(workspaces: Int = 3, clients: Int = 2, events: Int = 50,
                    waitTimeout: Duration = .seconds(10), settle: Duration = .milliseconds(300)) {
            self.workspaces = max(2, workspaces)
            self.clients = max(2, clients)
            self.events = max(1, events)
            self.waitTimeout = waitTimeout
            self.settle = settle
        }
    }

    public enum Target: Sendable {
        /// An embedded server on a temporary database, a random in-memory secret and a
        /// free loopback port, shut down at the end.
        case embedded
        /// Running nodes sharing one database (one or more); `secret` is their HS256
        /// signing secret (for minting users). Clients and publishers are spread over the
        /// nodes. The workspaces created are deleted at the end, also after a failure.
        case servers([ServerAddress], secret: [UInt8])

        /// One running server.
        public static func server(_ address: ServerAddress, secret: [UInt8]) -> Target {
            .servers([address], secret: secret)
        }
    }

    public let target: Target
    public let options: Options

    public init(target: Target, options: Options = Options()) {
        self.target = target
        self.options = options
    }

    /// The secret for `--server` mode, resolved as for `token mint` but never created:
    /// a fresh secret could not match the server's.
    public static func resolveSecret(environment: [String: String]) throws(IsolationSetupError) -> [UInt8] {
        do { return try SecretResolver.resolve(environment: environment, createIfMissing: false) } catch {
            throw .secret(error)
        }
    }

    /// Runs every check. Throws only when the run could not be set up (server
    /// unreachable, no secret, setup call refused); failed checks are in the report.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws(IsolationSetupError) -> IsolationReport {
        let start = ContinuousClock.now
        var report: IsolationReport
        switch target {
        case .servers(let addresses, let secret):
            guard !addresses.isEmpty else { throw .other("no server to verify") }
            let run = IsolationRun(servers: addresses, secret: secret, options: options, deleteWorkspaces: true, progress: progress)
            report = try await run.execute().get()
            report.embedded = false
        case .embedded:
            progress("starting an embedded server")
            // Starting a server is not a delivery wait: a loaded machine may need longer.
            let embedded = try await EmbeddedServer.start(timeout: max(options.waitTimeout, .seconds(30)))
            progress("embedded server listening on \(embedded.address)")
            let run = IsolationRun(server: embedded.address, secret: embedded.secret, options: options, deleteWorkspaces: false, progress: progress)
            let result = await run.execute()
            await embedded.stop(timeout: options.waitTimeout)
            report = try result.get()
            report.embedded = true
        }
        let elapsed = ContinuousClock.now - start
        report.durationMilliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return report
    }
}

/// The server `verify isolation` starts when no `--server` is given.
struct EmbeddedServer: Sendable {
    let address: ServerAddress
    let secret: [UInt8]
    let server: MulticaServer
    let runner: Task<Void, Never>
    let directory: URL

    static func start(timeout: Duration) async throws(IsolationSetupError) -> EmbeddedServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-verify-\(UUID().uuidString)")
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let server: MulticaServer
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let configuration = ServerConfiguration(
                host: "127.0.0.1", port: 0, databasePath: directory.appendingPathComponent("verify.db").path,
                jwtSecret: secret, logLevel: .error)
            var logger = Logger(label: "multica.verify")
            logger.logLevel = .error
            server = try MulticaServer(configuration: configuration, logger: logger)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw .other("cannot start the embedded server: \(error)")
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let runner = Task {
            do { try await server.run(onReady: { continuation.yield($0) }) } catch {}
            continuation.finish()
        }
        let port = await firstElement(of: ports, within: timeout)
        guard let port, port > 0, let address = try? ServerAddress("http://127.0.0.1:\(port)") else {
            await server.shutdown()
            runner.cancel()
            try? FileManager.default.removeItem(at: directory)
            throw .other("the embedded server did not start within \(ClientError.format(IsolationRun.seconds(timeout)))s")
        }
        return EmbeddedServer(address: address, secret: secret, server: server, runner: runner, directory: directory)
    }

    func stop(timeout: Duration) async {
        await server.shutdown()
        let runner = self.runner
        _ = await firstElement(of: AsyncStream<Void> { continuation in
            Task { await runner.value; continuation.yield(()); continuation.finish() }
        }, within: timeout)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The first element of `stream`, or nil when it ends or `timeout` passes first.
func firstElement<T: Sendable>(of stream: AsyncStream<T>, within timeout: Duration) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask {
            for await value in stream { return value }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
