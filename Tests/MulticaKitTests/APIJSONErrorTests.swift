import Foundation
import Testing

@testable import MulticaKit

/// SPEC §6: a body with an invalid JSON number answers 400 naming the number with its
/// line and column, on the synthetic-publish path and on ordinary resource bodies.
@Suite("API JSON syntax errors")
struct APIJSONErrorTests {
    @Test func leadingZeroInSyntheticPayloadIsNamed() async throws {
        try await LiveServer.with { server in
            let workspace = try await server.createWorkspace("Acme", owner: "alice")
            let token = try await server.token("alice")
            let eventsBefore = try server.rowCount("event")
            let body = #"{"type":"custom:tick","workspace_id":"\#(workspace)","payload":{"ts":0123}}"#
            let result = try await server.http("POST", "/api/events", token: token, body: body)
            #expect(result.status == 400)
            let column = Array(body.utf8).firstRange(of: Array("0123".utf8))!.lowerBound + 1
            #expect(result.text == #"{"error":"malformed JSON: invalid number '0123': leading zero at line 1, column \#(column)"}"#)
            // In a batch too, naming the element.
            let batch = "[\(body)]"
            let inBatch = try await server.http("POST", "/api/events", token: token, body: batch)
            #expect(inBatch.status == 400)
            #expect(inBatch.text.contains("invalid number '0123': leading zero at line 1, column \(column + 1)"), "\(inBatch.text)")
            #expect(try server.rowCount("event") == eventsBefore)
        }
    }

    @Test func leadingZeroInResourceBodyIsNamed() async throws {
        try await LiveServer.with { server in
            let token = try await server.token("alice")
            let result = try await server.http("POST", "/api/workspaces", token: token, body: "{\"name\":\"A\",\n\"n\":-007}")
            #expect(result.status == 400)
            #expect(result.text == #"{"error":"malformed JSON: invalid number '-007': leading zero at line 2, column 5"}"#)
        }
    }
}
