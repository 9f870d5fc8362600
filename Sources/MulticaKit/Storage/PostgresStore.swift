import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The PostgreSQL backend's connections: a `PostgresClient` pool for the `async` reads,
/// and one dedicated connection for writes, driven synchronously from the caller's
/// thread (the unit of work's serial writer thread, never an event loop).
///
/// Ownership: the store owns the pool's `run()` task and the writer connection; `close()`
/// ends both. Failure: every PostgreSQL error leaves as a `StorageError`
/// (`PostgresErrors.translate`); a dropped writer connection is reopened by the next write.
public final class PostgresStore: Sendable {
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    private let runTask: Mutex<Task<Void, Never>?>
    private let writer: Mutex<PostgresConnection?> = Mutex(nil)
    /// Serialises writers: the one writer connection runs one transaction at a time.
    private let writing = NSLock()
    private let connectionIDs = Atomic<Int>(1)

    /// Connects the pool (lazily) and runs the migrations under the advisory lock.
    public static func open(_ location: PostgresLocation, logger: Logger = Logger(label: "multica.postgres")) async throws
        -> PostgresStore
    {
        let store = PostgresStore(location: location, logger: logger)
        do {
            try await PostgresMigrator(store: store).migrate()
        } catch {
            store.close()
            throw PostgresErrors.translate(error)
        }
        return store
    }

    init(location: PostgresLocation, logger: Logger) {
        self.location = location
        self.logger = logger
        var configuration: PostgresClient.Configuration
        if location.isSocketDirectory {
            configuration = .init(
                unixSocketPath: Self.socketPath(location), username: location.user, password: location.password,
                database: location.database
            )
        } else {
            configuration = .init(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: .disable
            )
        }
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.additionalStartupParameters = [("application_name", "multica-pool")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runTask = Mutex(Task { await client.run() })
    }

    /// Ends the pool and the writer connection. Idempotent.
    public func close() {
        runTask.withLock { task in
            task?.cancel()
            task = nil
        }
        let connection = writer.withLock { slot -> PostgresConnection? in
            defer { slot = nil }
            return slot
        }
        if let connection { Self.release(connection) }
    }

    deinit { close() }

    // MARK: Dedicated connections

    /// Closes `connection` and keeps it alive until the close completed (PostgresNIO
    /// traps when a connection is deinitialised before it is closed).
    static func release(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Closes `connection` and waits for it (async contexts).
    static func close(_ connection: PostgresConnection) async {
        let closing: EventLoopFuture<Void> = connection.close()
        try? await closing.get()
    }

    /// A new connection outside the pool (LISTEN, migrations, the writer), named
    /// `application_name` so that operators (and tests) can find it in `pg_stat_activity`.
    func connect(applicationName: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: connectionConfiguration(applicationName: applicationName),
            id: connectionIDs.wrappingAdd(1, ordering: .relaxed).oldValue, logger: logger
        )
    }

    private func connectionConfiguration(applicationName: String) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if location.isSocketDirectory {
            configuration = .init(
                unixSocketPath: Self.socketPath(location), username: location.user, password: location.password,
                database: location.database
            )
        } else {
            configuration = .init(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: .disable
            )
        }
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    private static func socketPath(_ location: PostgresLocation) -> String {
        "\(location.host)/.s.PGSQL.\(location.port)"
    }

    /// Runs `body` with the writer connection, opening it first if needed, from a thread
    /// that may block (never an event loop, never the cooperative pool in a hot path).
    /// A connection found closed is replaced; one that fails inside `body` is dropped so
    /// the next call reconnects.
    func withWriter<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        writing.lock()
        defer { writing.unlock() }
        let connection: PostgresConnection
        if let open = writer.withLock({ $0 }), !open.isClosed {
            connection = open
        } else {
            do {
                connection = try PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(),
                    configuration: connectionConfiguration(applicationName: "multica-writer"),
                    id: connectionIDs.wrappingAdd(1, ordering: .relaxed).oldValue, logger: logger
                ).wait()
            } catch {
                throw PostgresErrors.translate(error)
            }
            writer.withLock { $0 = connection }
        }
        do {
            return try body(connection)
        } catch {
            if connection.isClosed { writer.withLock { if $0 === connection { $0 = nil } } }
            throw PostgresErrors.translate(error)
        }
    }

    /// True when the database answers `SELECT 1` within two seconds (for `/readyz`).
    /// The probe is not awaited past the deadline: a pool stuck connecting to a dead
    /// host cannot hold the readiness request.
    public func isReachable() async -> Bool {
        let client = self.client
        return await Deadline.first(after: .seconds(2), otherwise: false) {
            do {
                let rows = try await client.query("SELECT 1")
                for try await _ in rows {}
                return true
            } catch {
                return false
            }
        }
    }
}
