import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import MulticaKit

/// HTTP helpers for the integration tests: calls over `URLSession` as one user,
/// every one bounded by a timeout. The server itself is `LiveServer`.

/// One HTTP answer.
struct APIResponse: Sendable, CustomStringConvertible {
    let status: Int
    let body: Data
    var headers: [String: String] = [:]

    /// A response header, by case-insensitive name.
    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "\(status) \(text)" }

    func json() throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: body)
    }

    /// The `error` message of an error answer.
    var error: String? { (try? json())?["error"]?.stringValue }
}

/// Calls the server's REST API as one user.
struct APIClient: Sendable {
    let port: Int
    let token: String?
    let userID: String

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 15
        configuration.timeoutIntervalForResource = 30
        return URLSession(configuration: configuration)
    }()

    func withoutToken() -> APIClient { APIClient(port: port, token: nil, userID: userID) }

    func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> APIResponse {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 15
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let sendable = request
        return try await withTimeout(20, "\(method) \(path)") {
            let (data, response) = try await APIClient.session.data(for: sendable)
            guard let http = response as? HTTPURLResponse else { throw TimedOut(what: "no HTTP response") }
            var headers: [String: String] = [:]
            for case (let name as String, let value as String) in http.allHeaderFields { headers[name] = value }
            return APIResponse(status: http.statusCode, body: data, headers: headers)
        }
    }

    func send(_ method: String, _ path: String, json: String, headers: [String: String] = [:]) async throws -> APIResponse {
        try await send(method, path, body: Data(json.utf8), headers: headers)
    }

    func send(_ method: String, _ path: String, object: [String: JSONValue], headers: [String: String] = [:]) async throws -> APIResponse {
        try await send(method, path, body: try JSONEncoder().encode(JSONValue.object(object)), headers: headers)
    }

    /// Sends and requires `status`, returning the JSON body (or `.null` for an empty one).
    @discardableResult
    func expect(
        _ status: Int, _ method: String, _ path: String, object: [String: JSONValue]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let response: APIResponse
        if let object {
            response = try await send(method, path, object: object)
        } else {
            response = try await send(method, path)
        }
        #expect(response.status == status, "\(method) \(path) → \(response)", sourceLocation: sourceLocation)
        guard response.status == status else { throw APIExpectationFailed(response: response) }
        return response.body.isEmpty ? .null : try response.json()
    }

    /// Creates a workspace owned by this user; returns its id.
    func createWorkspace(_ name: String = "Acme") async throws -> String {
        let workspace = try await expect(201, "POST", "/api/workspaces", object: ["name": .string(name)])
        return try #require(workspace["id"]?.stringValue)
    }

    func addMember(_ user: String, to workspace: String, role: String = "member") async throws {
        try await expect(201, "POST", "/api/workspaces/\(workspace)/members", object: ["user_id": .string(user), "role": .string(role)])
    }

    /// The workspace's events after `since`, as this user sees them in the history API.
    func events(_ workspace: String, since: Int64 = 0) async throws -> [EventEnvelope] {
        let response = try await send("GET", "/api/events?workspace_id=\(workspace)&since=\(since)&limit=1000")
        guard response.status == 200 else { throw APIExpectationFailed(response: response) }
        struct Page: Decodable { let events: [EventEnvelope] }
        return try JSONDecoder().decode(Page.self, from: response.body).events
    }

    /// The head seq of the workspace's log.
    func headSeq(_ workspace: String) async throws -> Int64 {
        let response = try await send("GET", "/api/events?workspace_id=\(workspace)&limit=1")
        guard response.status == 200, case .int(let head)? = try response.json()["head_seq"] else {
            throw APIExpectationFailed(response: response)
        }
        return head
    }
}

struct APIExpectationFailed: Error, CustomStringConvertible {
    let response: APIResponse
    var description: String { "unexpected answer \(response)" }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// A string member, or "" (for terse test code).
    func string(_ key: String) -> String { self[key]?.stringValue ?? "" }
}

extension EventEnvelope {
    /// The payload as a JSON value.
    var payloadJSON: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(payload.bytes))) ?? .null }
}
