import HTTPTypes
import Hummingbird

/// An object with an optimistic-concurrency `version` (SPEC §4 "Versions"): 1 on
/// create, +1 per change, sent as `ETag: "<version>"`.
protocol Versioned: Encodable, Sendable {
    var version: Int { get }
}

extension Workspace: Versioned {}
extension Issue: Versioned {}
extension Comment: Versioned {}
extension Agent: Versioned {}

/// A request's `If-Match` precondition, parsed before its unit of work and checked
/// inside it, against the version read in the same transaction as the write.
///
/// Accepted forms: `"3"`, `W/"3"` (compared weakly: our tags are versions, not bytes),
/// a bare `3`, `*` (any current version), and comma-separated lists of them. Anything
/// else is a 400 naming the header, so a typo is never mistaken for a mismatch.
struct IfMatch: Sendable, Equatable {
    /// Versions that match; `nil` for `*`.
    let versions: Set<Int>?

    /// Nil when the request has no `If-Match`: then the present fields win.
    static func parse(_ request: Request) throws -> IfMatch? {
        let values = request.headers[values: .ifMatch]
        guard !values.isEmpty else { return nil }
        var versions: Set<Int> = []
        for value in values {
            for rawTag in value.split(separator: ",") {
                var tag = rawTag.trimmingCharacters(in: .whitespaces)[...]
                if tag == "*" { return IfMatch(versions: nil) }
                if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
                if tag.count >= 2, tag.first == "\"", tag.last == "\"" { tag = tag.dropFirst().dropLast() }
                guard let version = Int(tag), version >= 1 else {
                    throw APIError.badRequest(#"header 'If-Match' must hold versions like "3" (got '\#(value)')"#)
                }
                versions.insert(version)
            }
        }
        return IfMatch(versions: versions)
    }

    /// 412 `{"error":"version mismatch","current":{…}}` unless `current` matches.
    func check<T: Versioned>(_ current: T) throws {
        guard let versions, !versions.contains(current.version) else { return }
        throw try APIError.versionMismatch(current: current)
    }
}

extension Optional where Wrapped == IfMatch {
    /// No precondition passes; a present one must match `current`.
    func check<T: Versioned>(_ current: T) throws {
        try self?.check(current)
    }
}

extension APIError {
    static func versionMismatch<T: Encodable>(current: T) throws -> APIError {
        var error = APIError(.preconditionFailed, "version mismatch")
        error.current = try JSONCoding.encode(current)
        return error
    }
}

extension JSONResponse {
    /// The object as JSON with its `ETag`.
    static func versioned<T: Versioned>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        versioned(value, encoded: try JSONCoding.encode(value), status: status)
    }

    /// `value` as `json`, its `JSONCoding` encoding made earlier (for its event too).
    static func versioned<T: Versioned>(_ value: T, encoded json: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var response = bytes(json, status: status)
        response.headers[.eTag] = "\"\(value.version)\""
        return response
    }
}
