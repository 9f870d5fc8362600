import Foundation
import Testing

@testable import MulticaKit

/// SPEC §6: oversized request heads are answered at once with 431 and a JSON body,
/// then the connection is closed; a garbled request gets 400. Raw TCP, because no
/// HTTP client library sends such requests.
@Suite("HTTP request-head limits", .serialized)
struct HTTPLimitTests {
    private static let tooLarge = #"{"error":"header fields too large"}"#

    /// Sends `request` raw and returns the response text and whether the server then
    /// closed the connection (both within a bounded wait).
    private func exchange(_ server: LiveServer, _ request: String) -> (response: String, closed: Bool) {
        guard let client = try? RawTCP(port: server.port) else { return ("connect failed", false) }
        client.send(request)
        let (bytes, closed) = client.read(timeout: 5)
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    @Test func hundredKilobyteAuthorizationGets431ThenClose() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let value = String(repeating: "a", count: 100 * 1024)
                let (response, closed) = exchange(
                    server, "GET /api/workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(value)\r\n\r\n"
                )
                #expect(response.hasPrefix("HTTP/1.1 431"), "\(response.prefix(200))")
                #expect(response.hasSuffix(Self.tooLarge))
                #expect(response.lowercased().contains("connection: close"))
                #expect(closed, "server kept the connection open")
            }
        }
    }

    @Test func overlongRequestLineGets431() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let path = "/api/workspaces?x=" + String(repeating: "b", count: 40 * 1024)
                let (response, closed) = exchange(server, "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(response.hasPrefix("HTTP/1.1 431"), "\(response.prefix(200))")
                #expect(response.hasSuffix(Self.tooLarge))
                #expect(closed)
            }
        }
    }

    @Test func tooManyHeadersGets431() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let headers = (0..<(HTTPLimits.maxHeaderCount + 5)).map { "X-H\($0): v\r\n" }.joined()
                let (response, closed) = exchange(server, "GET /healthz HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
                #expect(response.hasPrefix("HTTP/1.1 431"), "\(response.prefix(200))")
                #expect(closed)
            }
        }
    }

    @Test func headersWithinTheLimitsAreServed() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let headers = (0..<50).map { "X-H\($0): \(String(repeating: "v", count: 100))\r\n" }.joined()
                let client = try RawTCP(port: server.port)
                client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
                let head = client.readHead(timeout: 5)
                #expect(head.hasPrefix("HTTP/1.1 200"), "\(head.prefix(200))")
            }
        }
    }

    @Test func garbageRequestGets400ThenClose() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let (response, closed) = exchange(server, "\u{01}\u{02} nonsense\r\n\r\n")
                #expect(response.hasPrefix("HTTP/1.1 400"), "\(response.prefix(200))")
                #expect(response.hasSuffix(#"{"error":"malformed HTTP request"}"#))
                #expect(closed)
            }
        }
    }

    @Test func oversizedWebSocketUpgradeHeaderGets431() async throws {
        try await allowingBlocking {
            try await LiveServer.with { server in
                let value = String(repeating: "c", count: 100 * 1024)
                let (response, closed) = exchange(
                    server,
                    "GET /ws?workspace_id=w HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer \(value)\r\n\r\n"
                )
                #expect(response.hasPrefix("HTTP/1.1 431"), "\(response.prefix(200))")
                #expect(closed)
            }
        }
    }
}
