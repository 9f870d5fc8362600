import HTTPTypes

/// An error a handler answers with: a status and the `{"error": …}` message of SPEC §6.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// The current object, as JSON, of a 412 version mismatch (SPEC §4).
    public var current: [UInt8]?

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    public static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, message) }
    public static func notFound(_ what: String) -> APIError { APIError(.notFound, "\(what) not found") }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    public static let notMember = APIError(.forbidden, "not a member of this workspace")
}
