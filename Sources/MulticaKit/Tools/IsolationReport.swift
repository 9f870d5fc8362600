import Foundation

/// One row of `verify isolation`: what was checked, whether it held, and why.
public struct IsolationCheck: Sendable, Codable, Equatable {
    public var name: String
    public var passed: Bool
    /// On success a summary of what was seen; on failure the first offending event
    /// (type, seq, its workspace, and the socket that got it) or the timeout.
    public var detail: String

    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }

    static func pass(_ name: String, _ detail: String) -> IsolationCheck { IsolationCheck(name: name, passed: true, detail: detail) }
    static func fail(_ name: String, _ detail: String) -> IsolationCheck { IsolationCheck(name: name, passed: false, detail: detail) }
}

/// The outcome of `verify isolation`.
public struct IsolationReport: Sendable, Codable, Equatable {
    /// The server tested (the embedded one's loopback URL when `embedded`).
    public var server: String
    public var embedded: Bool
    public var workspaces: Int
    public var clientsPerWorkspace: Int
    /// Events published in each workspace in the main phase (every workspace type at least once).
    public var eventsPerWorkspace: Int
    public var checks: [IsolationCheck]
    public var passed: Bool
    public var durationMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case server, embedded, workspaces, checks, passed
        case clientsPerWorkspace = "clients_per_workspace"
        case eventsPerWorkspace = "events_per_workspace"
        case durationMilliseconds = "duration_ms"
    }

    public var failures: [IsolationCheck] { checks.filter { !$0.passed } }

    /// The report as one JSON object (keys sorted).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Why `verify isolation` could not run its checks at all.
public enum IsolationSetupError: Error, Sendable, CustomStringConvertible {
    /// A REST call of the setup failed; `step` says which.
    case client(ClientError, step: String)
    /// No signing secret to mint the throwaway users with (`--server` mode).
    case secret(SecretError)
    /// The embedded server could not start, a token could not be signed, …
    case other(String)

    /// True when the server could not be reached (exit 3).
    public var isUnreachable: Bool {
        if case .client(let error, _) = self { return error.isUnreachable }
        return false
    }

    public var description: String {
        switch self {
        case .client(let error, let step):
            return error.isUnreachable ? error.description : "\(step): \(error.description)"
        case .secret(let error):
            return "verify isolation --server mints throwaway users and needs the server's signing secret: \(error.description)"
        case .other(let message):
            return message
        }
    }
}
