import Dispatch
import GRDB
import Synchronization

/// Read-only connections that only `SQLiteDatabase.readInline` uses.
///
/// Why not GRDB's own readers: an async read (`DatabasePool.read` awaited) gives its
/// reader back only after it resumes on Swift's cooperative pool. An inline read that
/// waited for one of those readers would block a cooperative thread; once every
/// cooperative thread is blocked so (two on a 2-core machine, under a burst of socket
/// joins and requests), no async read can resume to give its reader back, and the
/// server stops answering for good. It did, at 10,000 sockets joining at once.
///
/// Threading: `read` may be called from any thread. It blocks while all connections
/// are taken, but each holder is another `read`, which runs one statement on its own
/// thread and never suspends: the wait is bounded by the SQL, never by the
/// cooperative pool.
final class SQLiteInlineReaders: Sendable {
    private let connections: [DatabaseQueue]
    private let free: Mutex<[Int]>
    private let available: DispatchSemaphore

    /// Opens `count` read-only connections to the database at `path`, which must
    /// exist (the pool that owns it has opened and migrated it).
    init(path: String, count: Int, configuration: Configuration) throws {
        var configuration = configuration
        configuration.readonly = true
        configuration.label = (configuration.label ?? "sqlite") + ".inline"
        connections = try (0..<max(1, count)).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
        free = Mutex(Array(connections.indices))
        available = DispatchSemaphore(value: connections.count)
    }

    /// Runs `body` on a free connection, on the calling thread, outside any
    /// transaction (one statement reads one snapshot).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        available.wait()
        let index = free.withLock { $0.removeLast() }
        defer {
            free.withLock { $0.append(index) }
            available.signal()
        }
        return try connections[index].inDatabase(body)
    }
}
