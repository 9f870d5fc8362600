import Foundation
import Logging

/// Everything `multica serve` can be told, with the defaults of SPEC §2.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests, `verify isolation`).
    public var port: Int
    /// The SQLite file; ignored when `postgres` is set.
    public var databasePath: String
    /// The shared PostgreSQL database; nil selects SQLite at `databasePath`.
    public var postgres: PostgresLocation?
    public var jwtSecret: [UInt8]
    /// Empty: any `Origin` is accepted.
    public var allowedOrigins: [String]
    /// Events older than this are pruned; nil keeps them.
    public var retainAge: Duration?
    /// At most this many events are kept per workspace; nil keeps all.
    public var retainCount: Int?
    /// How often retention runs.
    public var retentionInterval: Duration
    public var sockets: SocketSettings
    public var logLevel: Logger.Level
    /// A deliberate routing bug for isolation-verifier tests; nil in normal operation.
    public var routingFault: RoutingFault?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databasePath: String, jwtSecret: [UInt8],
        allowedOrigins: [String] = [], retainAge: Duration? = nil, retainCount: Int? = nil,
        retentionInterval: Duration = .seconds(60), sockets: SocketSettings = SocketSettings(), logLevel: Logger.Level = .info
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.jwtSecret = jwtSecret
        self.allowedOrigins = allowedOrigins
        self.retainAge = retainAge
        self.retainCount = retainCount
        self.retentionInterval = retentionInterval
        self.sockets = sockets
        self.logLevel = logLevel
    }

    /// The backend this configuration selects.
    public var database: DatabaseLocation {
        get { postgres.map { .postgres($0) } ?? .sqlite(path: databasePath) }
        set {
            switch newValue {
            case .sqlite(let path): databasePath = path; postgres = nil
            case .postgres(let location): postgres = location
            }
        }
    }

    /// `$MULTICA_HOME/multica.db`.
    public static func defaultDatabasePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        MulticaHome.directory(environment: environment) + "/multica.db"
    }

    /// Parses `HOST:PORT`, `:PORT` or `[::1]:PORT`.
    public static func parseListen(_ value: String) -> (host: String, port: Int)? {
        guard let colon = value.lastIndex(of: ":") else { return nil }
        var host = String(value[..<colon])
        guard let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }
}
