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

    /// Nil when the request names none; 400 when the sources disagree. `query` is the
    /// request's parsed query when the caller has it already (Hummingbird parses it anew
    /// on every `queryParameters`).
    static func optional(_ request: Request, query: Parameters? = nil, body: String? = nil) throws -> String? {
        var chosen: String?
        func consider(_ candidate: String?) throws {
            guard let candidate = candidate?.trimmingBlanks, !candidate.isEmpty else { return }
            guard let earlier = chosen else { chosen = candidate; return }
            guard earlier == candidate else {
                throw APIError.badRequest("the workspace given by X-Workspace-ID, ?workspace_id= and the body differ")
            }
        }
        try consider(request.headers.value(of: header))
        try consider((query ?? request.uri.queryParameters)["workspace_id"].map(String.init))
        try consider(body)
        return chosen
    }

    static func required(_ request: Request, query: Parameters? = nil, body: String? = nil) throws -> String {
        guard let workspace = try optional(request, query: query, body: body) else {
            throw APIError.badRequest("workspace_id is required (X-Workspace-ID header or ?workspace_id=)")
        }
        return workspace
    }
}

extension HTTPFields {
    /// `self[name]`: the field's value, or the values of several fields with that name
    /// joined as the subscript joins them. The subscript always goes through a generic
    /// join, 1% of the server's CPU under an authenticated `GET`; this reads the one field
    /// of the usual case directly.
    func value(of name: HTTPField.Name) -> String? {
        guard let position = firstIndex(where: { $0.name == name }) else { return nil }
        if self[index(after: position)...].contains(where: { $0.name == name }) { return self[name] }
        return self[position].value
    }
}
