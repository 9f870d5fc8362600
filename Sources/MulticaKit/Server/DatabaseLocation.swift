import Foundation

/// Where `multica serve` keeps its data: a SQLite file (the embedded default) or a
/// PostgreSQL database shared by any number of nodes (SPEC §4, "Backends").
///
/// `--db` (or `MULTICA_DATABASE_URL`) is parsed once, here: a value starting with
/// `postgres://` or `postgresql://` is a PostgreSQL URL and must be well formed;
/// anything else is a file path. `description` never contains the password.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// The environment variable that selects the database when `--db` is absent.
    public static let environmentVariable = "MULTICA_DATABASE_URL"

    /// Parses a `--db` value. Throws `DatabaseLocationError` for a malformed PostgreSQL URL.
    public static func parse(_ value: String) throws -> DatabaseLocation {
        if PostgresLocation.hasScheme(value) { return .postgres(try PostgresLocation(url: value)) }
        return .sqlite(path: value)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let location): return location.description
        }
    }
}

/// Why a `postgres://` value was refused. The message never repeats the password.
public struct DatabaseLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// The parts of `postgres://user:password@host:port/database`.
///
/// Recognised query options: `sslmode=disable` (the default; TLS is not offered yet,
/// so `require`/`verify-*` are refused rather than silently ignored). Host may be a
/// bracketed IPv6 literal, or a percent-encoded socket directory (`%2Ftmp`).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    /// Never logged: `description` prints `***` in its place.
    public var password: String?
    public var database: String

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    static func hasScheme(_ value: String) -> Bool {
        let lower = value.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// True when `host` names a Unix-domain socket directory rather than a TCP host.
    public var isSocketDirectory: Bool { host.hasPrefix("/") }

    public init(url: String) throws {
        func fail(_ why: String) -> DatabaseLocationError {
            DatabaseLocationError(reason: "invalid PostgreSQL URL \(Self.redact(url)): \(why)")
        }
        guard Self.hasScheme(url), let schemeEnd = url.range(of: "://") else { throw fail("expected postgres://") }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("missing /DATABASE") }
        let authority = rest[..<slash]
        let databaseName = String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? ""
        guard !databaseName.isEmpty, !databaseName.contains("/") else { throw fail("missing database name") }
        guard let at = authority.lastIndex(of: "@") else { throw fail("missing USER@") }
        let credentials = authority[..<at]
        var hostPort = authority[authority.index(after: at)...]
        let userPart: Substring
        var passwordValue: String?
        if let colon = credentials.firstIndex(of: ":") {
            userPart = credentials[..<colon]
            guard let decoded = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding else {
                throw fail("bad percent-encoding in the password")
            }
            passwordValue = decoded
        } else {
            userPart = credentials
        }
        guard let userName = String(userPart).removingPercentEncoding, !userName.isEmpty else { throw fail("missing user name") }
        var portValue = 5432
        var hostValue: String
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unterminated [IPv6] host") }
            hostValue = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if !hostPort.isEmpty {
                guard hostPort.hasPrefix(":") else { throw fail("junk after [IPv6] host") }
                hostPort = hostPort.dropFirst()
                guard let p = Int(hostPort), (1...65535).contains(p) else { throw fail("port must be 1-65535") }
                portValue = p
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostValue = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw fail("port must be 1-65535")
            }
            portValue = p
        } else {
            hostValue = String(hostPort)
        }
        hostValue = hostValue.removingPercentEncoding ?? hostValue
        guard !hostValue.isEmpty else { throw fail("missing host") }
        for option in query.split(separator: "&") where !option.isEmpty {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            switch (pair.first ?? "", pair.count == 2 ? pair[1] : "") {
            case ("sslmode", "disable"), ("sslmode", "prefer"), ("sslmode", "allow"): continue
            case ("sslmode", let mode): throw fail("sslmode=\(mode) is not supported (TLS is not available)")
            case (let name, _): throw fail("unknown option '\(name)'")
            }
        }
        self.init(host: hostValue, port: portValue, user: userName, password: passwordValue, database: databaseName)
    }

    /// `postgres://user:***@host:port/db`: safe for logs, errors and start-up lines.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(hostText):\(port)/\(database)"
    }

    /// `url` with everything between `user:` and `@` replaced by `***`, for errors
    /// about a URL that did not parse.
    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "(unparseable)" }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else {
            return authority.contains(":") && !authority.contains("@") ? String(url[..<schemeEnd.upperBound]) + "…" : url
        }
        let credentials = authority[..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
