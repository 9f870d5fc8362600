import Foundation
import Testing

@testable import MulticaKit

/// The OpenAPI document lists exactly the router's routes, both ways, and is what
/// `GET /openapi.json` serves.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    private static let methods = ["get", "put", "post", "patch", "delete", "head", "options"]

    private func documentRoutes() throws -> Set<String> {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes = Set<String>()
        for (path, item) in paths {
            for method in item.keys where Self.methods.contains(method) { routes.insert("\(method.uppercased()) \(path)") }
        }
        return routes
    }

    @Test func everyRouterRouteIsDocumentedAndNothingElse() async throws {
        try await LiveServer.with { server in
            let router = server.server.makeRouter()
            // The web viewer's page and assets (SPEC §8) are HTML, JS and CSS, not REST: the
            // document describes the JSON API only.
            let viewer: Set<String> = ["GET /", "GET /assets/{hash}/{name}"]
            let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }).subtracting(viewer)
            #expect(routed.count > 30)
            let documented = try documentRoutes()
            #expect(routed.subtracting(documented).sorted() == [], "routes missing from the document")
            #expect(documented.subtracting(routed).sorted() == [], "documented routes the router lacks")
        }
    }

    @Test func versionedWritesDocument412AndIfMatch() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let writes = [
            ("/api/workspaces/{id}", "patch"), ("/api/workspaces/{id}", "delete"), ("/api/issues/{id}", "put"),
            ("/api/issues/{id}", "delete"), ("/api/comments/{id}", "put"), ("/api/comments/{id}", "delete"),
            ("/api/agents/{id}", "put"), ("/api/agents/{id}", "delete"),
        ]
        for (path, method) in writes {
            let operation = try #require(paths[path]?[method] as? [String: Any], "\(method) \(path)")
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(responses["412"] != nil, "\(method) \(path) lacks 412")
            let parameters = operation["parameters"] as? [[String: Any]] ?? []
            #expect(parameters.contains { $0["name"] as? String == "If-Match" }, "\(method) \(path) lacks If-Match")
        }
    }

    @Test func servedAtOpenAPIJSON() async throws {
        try await LiveServer.with { server in
            let response = try await server.http("GET", "/openapi.json")
            #expect(response.status == 200)
            #expect(response.text == OpenAPIDocument.json)
        }
    }
}
