import Foundation
import Synchronization
import MulticaKit

/// A throw-away PostgreSQL cluster for the tests: `initdb` into a temporary folder,
/// `pg_ctl start` on a free 127.0.0.1 port with its socket in that folder, one fresh
/// database per suite (`makeDatabase`), stopped and removed when the test process exits.
///
/// PostgreSQL refuses to run as root, and CI runs as root: then every server command
/// runs as the unprivileged `postgres` user (created by Debian's package) through
/// `runuser`. Where no `initdb` exists the PostgreSQL suites are skipped with one
/// printed line — except with CI=true, where they run and fail.
public final class PostgresCluster: Sendable {
    public let root: URL
    public let port: Int
    public let binaries: URL
    private let stopped = Mutex(false)

    public static let superuser = "multica"

    /// True when the PostgreSQL suites should run: the binaries exist, or CI=true
    /// (where their absence must fail loudly, not skip).
    public static let enabled: Bool = {
        if binaryDirectory() != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        print("⏭ skipping PostgreSQL suites: initdb not found (install Debian's postgresql to run them)")
        return false
    }()

    /// The one cluster of this test process, started on first use.
    public static func sharedBlocking() throws -> PostgresCluster {
        try sharedCluster.withLock { slot in
            if let cluster = slot { return cluster }
            let cluster = try PostgresCluster()
            slot = cluster
            atexit { PostgresCluster.stopShared() }
            return cluster
        }
    }

    private static let sharedCluster = Mutex<PostgresCluster?>(nil)

    private static func stopShared() {
        let cluster = sharedCluster.withLock { $0 }
        cluster?.stop()
    }

    public static func binaryDirectory() -> URL? {
        let base = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        for version in versions.compactMap(Int.init).sorted(by: >) where version >= 14 {
            let bin = base.appendingPathComponent("\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        return nil
    }

    private init() throws {
        guard let binaries = Self.binaryDirectory() else {
            throw ClusterError(message: "initdb not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)")
        }
        self.binaries = binaries
        root = URL(fileURLWithPath: "/tmp/multica-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if geteuid() == 0 {
            try Self.run("/bin/chown", ["postgres:postgres", root.path])
        }
        port = try Self.freePort()
        try runServerTool("initdb", [
            "-D", dataDirectory, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C",
        ])
        try start()
    }

    public var dataDirectory: String { root.appendingPathComponent("data").path }
    public var logFile: String { root.appendingPathComponent("server.log").path }

    /// Starts (or restarts after `stopServer`) the server on the same port and data.
    public func start() throws {
        try runServerTool("pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "30", "-o",
            "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off -c max_connections=200",
            "start",
        ])
    }

    /// Stops the server (fast mode: open sessions are terminated), keeping its data.
    public func stopServer() throws {
        try runServerTool("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    /// Stops the server and removes every file of the cluster. Idempotent.
    public func stop() {
        let already = stopped.withLock { value in
            defer { value = true }
            return value
        }
        guard !already else { return }
        try? stopServer()
        try? FileManager.default.removeItem(at: root)
    }

    /// A new, empty database and the location that reaches it over TCP.
    public func makeDatabaseBlocking(_ prefix: String = "t") throws -> PostgresLocation {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        try psqlBlocking("CREATE DATABASE \(name)", database: "postgres")
        return PostgresLocation(host: "127.0.0.1", port: port, user: Self.superuser, password: "unused-in-trust", database: name)
    }

    /// Runs `sql` with psql and returns its unaligned, tuples-only output.
    @discardableResult
    public func psqlBlocking(_ sql: String, database: String) throws -> String {
        try Self.run(binaries.appendingPathComponent("psql").path, [
            "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser,
            "-d", database, "-c", sql,
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func runServerTool(_ tool: String, _ arguments: [String]) throws {
        let path = binaries.appendingPathComponent(tool).path
        if geteuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    public struct ClusterError: Error, CustomStringConvertible {
        let message: String
        public var description: String { message }
    }

    /// Runs `executable` to completion with posix_spawn and waitpid. Not Foundation's
    /// `Process`: its exit monitor misses `runuser pg_ctl start` exiting while the server
    /// it started keeps the inherited descriptors. Output goes to files, not pipes, for
    /// the same reason.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("multica-pgrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("out").path, errPath = scratch.appendingPathComponent("err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else: `pg_ctl start` leaves the server running for the whole test
        // process, and it would keep every socket open at this moment (ChildProcess).
        Spawn.closeInheritedDescriptors(&actions)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ClusterError(message: "cannot run \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw ClusterError(message: "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.joined(separator: " ")) "
                + "failed (status \(status)): \(err)")
        }
        return out
    }

    /// A port nothing listens on right now (bound to port 0 and released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ClusterError(message: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The cluster's tools (initdb, pg_ctl, psql) block for as long as they run: the tests
/// call them through these, on a thread of their own, so the two threads of Swift's
/// cooperative pool keep serving the other suites' in-process servers meanwhile.
extension PostgresCluster {
    public static func shared() async throws -> PostgresCluster {
        try await onThread { try PostgresCluster.sharedBlocking() }
    }

    /// A cluster of the caller's own, for tests that stop and start the server (the
    /// shared one serves other suites meanwhile). The caller must `stop()` it.
    public static func dedicated() async throws -> PostgresCluster {
        try await onThread { try PostgresCluster() }
    }

    public func makeDatabase(_ prefix: String = "t") async throws -> PostgresLocation {
        try await onThread { try self.makeDatabaseBlocking(prefix) }
    }

    @discardableResult
    public func psql(_ sql: String, database: String) async throws -> String {
        try await onThread { try self.psqlBlocking(sql, database: database) }
    }
}

/// Runs a blocking closure on a thread of its own (never the cooperative pool), as the
/// writer thread of the unit of work does.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
