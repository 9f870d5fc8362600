import Foundation

/// Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 30 s, each delay drawn
/// uniformly from its upper half so that many clients do not reconnect in step.
public struct Backoff: Sendable {
    public var initial: Duration = .seconds(1)
    public var maximum: Duration = .seconds(30)

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before reconnect attempt `attempt` (0-based).
    public func delay(attempt: Int) -> Duration {
        let base = min(maximum, initial * (1 << min(attempt, 20)))
        return base * Double.random(in: 0.5...1.0)
    }
}

/// `tail`: follows one workspace over `/ws`, reconnecting with backoff and resuming
/// from the last `seq` seen, so that what is delivered has no gap and no duplicate.
public struct Tailer: Sendable {
    public struct Options: Sendable {
        public var workspaceID: String
        /// Replay events after this seq first; nil starts with live events.
        public var since: Int64?
        public var filter: TypeFilter
        /// Stop after this many delivered events.
        public var count: Int?
        public var reconnect: Bool
        public var backoff = Backoff()
        public var socket = MulticaSocket.Settings()

        public init(workspaceID: String, since: Int64?, filter: TypeFilter, count: Int?, reconnect: Bool) {
            self.workspaceID = workspaceID
            self.since = since
            self.filter = filter
            self.count = count
            self.reconnect = reconnect
        }
    }

    /// Things worth telling the user on stderr.
    public enum Notice: Sendable {
        /// Connected; `resumeFrom` is the seq the replay starts after, if any.
        case connected(SocketHello, resumeFrom: Int64?, reconnected: Bool)
        /// `recovered:false`: events after `since` are no longer retained.
        case notRecovered(SocketHello, since: Int64?)
        case reconnecting(after: Duration, attempt: Int, reason: String, resumeFrom: Int64?)
    }

    /// Why a tail ended without reaching `count`.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The first connection could not be made (exit 3).
        case unreachable(ClientError)
        /// 401/403 before the upgrade: never retried.
        case refused(status: Int, message: String)
        case membershipRevoked
        case tokenExpired
        /// The stream ended and reconnecting is off.
        case disconnected(SocketClosure)
        case other(ClientError)

        public var description: String {
            switch self {
            case .unreachable(let error), .other(let error): return error.description
            case .refused(let status, let message): return "refused (\(status)): \(message)"
            case .membershipRevoked: return "membership revoked: you are no longer a member of this workspace (close code 4003)"
            case .tokenExpired: return "token expired (close code 4001); mint a new one"
            case .disconnected(let closure): return "connection closed (\(closure))"
            }
        }
    }

    public let server: ServerAddress
    public let token: String?
    public let options: Options

    public init(server: ServerAddress, token: String?, options: Options) {
        self.server = server
        self.token = token
        self.options = options
    }

    /// Runs until `count` events were delivered (returns normally) or a `Failure`.
    public func run(event deliver: (ReceivedEvent) -> Void, notice: (Notice) -> Void) async throws(Failure) {
        var lastSeq = options.since
        var delivered = 0
        var attempt = 0
        var everConnected = false
        var nextReason = ""
        var retrying = false

        while true {
            if retrying {
                guard options.reconnect else { throw .disconnected(SocketClosure(code: nil, reason: nextReason)) }
                let delay = nextReason.contains("4008") ? .milliseconds(100) : options.backoff.delay(attempt: attempt)
                notice(.reconnecting(after: delay, attempt: attempt + 1, reason: nextReason, resumeFrom: lastSeq))
                try? await Task.sleep(for: delay)
                attempt += 1
            }
            retrying = true
            let socket: MulticaSocket
            do {
                socket = try await MulticaSocket.connect(
                    server: server, token: token, workspaceID: options.workspaceID, since: lastSeq, settings: options.socket)
            } catch {
                if case .server(let status, let message) = error, status == 401 || status == 403 || status == 404 {
                    throw .refused(status: status, message: message)
                }
                if !everConnected, error.isUnreachable { throw .unreachable(error) }
                if !options.reconnect { throw .other(error) }
                nextReason = error.description
                continue
            }
            let reconnected = everConnected
            everConnected = true

            for await item in socket.events {
                switch item {
                case .hello(let hello):
                    notice(.connected(hello, resumeFrom: lastSeq, reconnected: reconnected))
                    if !hello.recovered { notice(.notRecovered(hello, since: lastSeq)) }
                    if lastSeq == nil { lastSeq = hello.headSeq }
                    attempt = 0
                case .event(let event):
                    let seq = event.envelope.seq
                    if let last = lastSeq, seq <= last { continue }
                    lastSeq = seq
                    guard options.filter.matches(event.envelope.type.rawValue) else { continue }
                    deliver(event)
                    delivered += 1
                    if let count = options.count, delivered >= count {
                        socket.close()
                        return
                    }
                case .other:
                    continue
                case .closed(let closure):
                    switch closure.code {
                    case 4003: throw .membershipRevoked
                    case 4001: throw .tokenExpired
                    default:
                        if !options.reconnect { throw .disconnected(closure) }
                        nextReason = "connection closed (\(closure))"
                    }
                }
            }
        }
    }
}
