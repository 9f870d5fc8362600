import Foundation
import HTTPTypes
import Hummingbird

/// A member of a partial-update body: absent, explicitly null, or a value. PUT bodies
/// change only the fields they contain, and `null` clears a nullable field.
enum Patch<T: Sendable>: Sendable {
    case absent
    case null
    case value(T)

    /// The value, or `current` when absent; 400 when null (the field is not nullable).
    func required(_ field: String, current: T) throws -> T {
        switch self {
        case .absent: return current
        case .null: throw APIError.badRequest("field '\(field)' must not be null")
        case .value(let value): return value
        }
    }

    /// The value, nil when null, `current` when absent.
    func nullable(current: T?) -> T? {
        switch self {
        case .absent: return current
        case .null: return nil
        case .value(let value): return value
        }
    }

    var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }
}

extension KeyedDecodingContainer {
    func patch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> Patch<T> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(T.self, forKey: key))
    }
}

/// The workspace a request is about, when it is not in the path: the
/// `X-Workspace-ID` header or `?workspace_id=` (SPEC §3), or a body's `workspace_id`.
enum RequestWorkspace {
    static let header = HTTPField.Name("X-Workspace-ID")!

    /// Nil when the request names none; 400 when the sources disagree.
    static func optional(_ request: Request, body: String? = nil) throws -> String? {
        let candidates = [
            request.headers[header], request.uri.queryParameters["workspace_id"].map(String.init), body,
        ].compactMap { $0?.trimmingBlanks }.filter { !$0.isEmpty }
        guard let first = candidates.first else { return nil }
        guard candidates.allSatisfy({ $0 == first }) else {
            throw APIError.badRequest("the workspace given by X-Workspace-ID, ?workspace_id= and the body differ")
        }
        return first
    }

    static func required(_ request: Request, body: String? = nil) throws -> String {
        guard let workspace = try optional(request, body: body) else {
            throw APIError.badRequest("workspace_id is required (X-Workspace-ID header or ?workspace_id=)")
        }
        return workspace
    }
}
