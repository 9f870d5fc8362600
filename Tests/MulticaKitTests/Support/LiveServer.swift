import Foundation
import NIOCore
import Synchronization

@testable import MulticaKit

/// A real `MulticaServer` on 127.0.0.1, a free port and a temporary SQLite file, for
/// integration tests: they talk to it only over HTTP and WebSocket.
final class LiveServer: Sendable {
    let server: MulticaServer
    let port: Int
    let databasePath: String
    let tokens: TokenService
    private let runner: Task<Void, any Error>

    static let secret: [UInt8] = Array("integration-test-secret-that-is-long-enough-for-hs256!!".utf8)

    static func start(sockets: SocketSettings = SocketSettings(), configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> LiveServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, databasePath: directory.appendingPathComponent("test.db").path, jwtSecret: secret,
            sockets: sockets, logLevel: .warning
        )
        configure(&configuration)
        let server = try await MulticaServer.open(configuration: configuration)
        let ready = PortSignal()
        let runner = Task { try await server.run(onReady: { port in ready.set(port) }) }
        let port = try await withTimeout(20, "server start") { await ready.wait() }
        return LiveServer(server: server, port: port, databasePath: configuration.databasePath, runner: runner)
    }

    /// Runs `body` against a fresh server and always stops it afterwards.
    static func with<T: Sendable>(
        sockets: SocketSettings = SocketSettings(), configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let server = try await start(sockets: sockets, configure: configure)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private init(server: MulticaServer, port: Int, databasePath: String, runner: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.databasePath = databasePath
        self.tokens = try! TokenService(secret: Self.secret)
        self.runner = runner
    }

    /// Shuts the server down gracefully and waits for it (bounded).
    func stop() async {
        await server.shutdown()
        _ = try? await withTimeout(10, "server stop") { try await self.runner.value }
        try? FileManager.default.removeItem(atPath: (databasePath as NSString).deletingLastPathComponent)
    }

    func token(_ user: String, admin: Bool = false, ttl: TimeInterval = 3600) async throws -> String {
        try await tokens.mint(
            TokenClaims(
                subject: user, expiresAt: Date().addingTimeInterval(ttl), issuedAt: Date(), email: "\(user)@example.com", name: user,
                isAdmin: admin
            )
        )
    }

    func http(_ method: String, _ path: String, token: String? = nil, body: String? = nil, headers: [String: String] = [:]) async throws -> APIResponse {
        try await APIClient(port: port, token: token, userID: "").send(method, path, body: body.map { Data($0.utf8) }, headers: headers)
    }

    /// A client acting as `user`.
    func client(_ user: String) async throws -> APIClient {
        APIClient(port: port, token: try await token(user), userID: user)
    }

    /// Rows of one table, read from the server's database file.
    func rowCount(_ table: String) throws -> Int {
        try SQLiteDatabase(path: databasePath).rowCount(table)
    }

    /// Creates a workspace owned by `owner`; returns its id.
    func createWorkspace(_ name: String, owner: String) async throws -> String {
        let result = try await http("POST", "/api/workspaces", token: try await token(owner), body: #"{"name":"\#(name)"}"#)
        guard result.status == 201, let id = try result.json()["id"]?.stringValue else {
            throw TimedOut(what: "workspace create answered \(result.status) \(result.text)")
        }
        return id
    }

    func addMember(_ user: String, to workspace: String, by owner: String) async throws -> String {
        let result = try await http(
            "POST", "/api/workspaces/\(workspace)/members", token: try await token(owner), body: #"{"user_id":"\#(user)"}"#
        )
        guard result.status == 201, let id = try result.json()["id"]?.stringValue else {
            throw TimedOut(what: "member add answered \(result.status) \(result.text)")
        }
        return id
    }

    /// Publishes a synthetic event; returns its seq.
    @discardableResult
    func emit(_ type: String, in workspace: String, by user: String, payload: String = "{}") async throws -> Int64 {
        let result = try await http(
            "POST", "/api/events", token: try await token(user),
            body: #"{"type":"\#(type)","workspace_id":"\#(workspace)","payload":\#(payload)}"#
        )
        guard result.status == 201, case .int(let seq)? = try result.json()["seq"] else {
            throw TimedOut(what: "emit answered \(result.status) \(result.text)")
        }
        return seq
    }

    func socket(
        _ user: String, workspace: String, since: Int64? = nil, admin: Bool = false, ttl: TimeInterval = 3600, receiveBuffer: Int? = nil,
        pongDelay: TimeAmount? = nil
    ) async throws -> TestSocket {
        let token = try await token(user, admin: admin, ttl: ttl)
        var path = "/ws?workspace_id=\(workspace)&token=\(token)"
        if let since { path += "&since=\(since)" }
        return try await TestSocket.connect(port: port, path: path, receiveBuffer: receiveBuffer, pongDelay: pongDelay)
    }

    /// Connects and consumes the hello frame; returns the socket and the hello payload.
    func joined(
        _ user: String, workspace: String, since: Int64? = nil, receiveBuffer: Int? = nil, pongDelay: TimeAmount? = nil
    ) async throws -> (TestSocket, JSONValue) {
        let socket = try await socket(user, workspace: workspace, since: since, receiveBuffer: receiveBuffer, pongDelay: pongDelay)
        let hello = try await socket.texts(1)[0]
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(hello.utf8))
        guard value["type"]?.stringValue == "hello", let payload = value["payload"] else {
            throw TimedOut(what: "first frame was not hello: \(hello)")
        }
        return (socket, payload)
    }
}

private final class PortSignal: Sendable {
    private let state = Mutex<(port: Int?, waiter: CheckedContinuation<Int, Never>?)>((nil, nil))

    func set(_ port: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Int, Never>? in
            state.port = port
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: port)
    }

    func wait() async -> Int {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Parses an envelope frame's fields the tests look at.
struct Frame: Sendable {
    let type: String
    let seq: Int64
    let workspaceID: String
    let raw: String

    init(_ text: String) throws {
        let envelope = try EventEnvelope(frame: Array(text.utf8))
        type = envelope.type.rawValue
        seq = envelope.seq
        workspaceID = envelope.workspaceID
        raw = text
    }
}
