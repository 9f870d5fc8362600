import Foundation
import NIOHTTP1

/// What can go wrong talking to a multica server, each case carrying what the CLI
/// needs for its message and exit code (unreachable → 3, the rest → 1).
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No TCP connection could be made (refused, no route, DNS, connect timeout).
    case unreachable(url: String, reason: String)
    /// Connected, but no complete answer within the deadline.
    case timeout(url: String, seconds: Double)
    /// A non-2xx answer; `message` is the `{"error"}` of the body (or the body itself).
    case server(status: Int, message: String)
    /// The connection broke or the answer was not what the contract promises.
    case protocolError(String)
    /// The base URL is not `http://host[:port][/prefix]`.
    case invalidURL(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): return "cannot reach the server at \(url): \(reason)"
        case .timeout(let url, let seconds): return "the server at \(url) did not answer within \(ClientError.format(seconds))s"
        case .server(let status, let message): return "server answered \(status): \(message)"
        case .protocolError(let message): return message
        case .invalidURL(let message): return message
        }
    }

    /// True for the errors that mean "no server there" (exit 3).
    public var isUnreachable: Bool {
        switch self {
        case .unreachable, .timeout: return true
        default: return false
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    /// The `error` member of a `{"error":"…"}` body, else the body as text (trimmed,
    /// at most 200 characters), else the status's reason phrase.
    static func message(fromBody body: [UInt8], status: Int) -> String {
        if let members = try? JSONScanner.objectMembers(body),
           let member = members.first(where: { $0.key == "error" }),
           let text = try? EventJSON.decoder.decode(String.self, from: Data(body[member.valueRange])) {
            return text
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { return String(text.prefix(200)) }
        return HTTPResponseStatus(statusCode: status).reasonPhrase
    }
}
