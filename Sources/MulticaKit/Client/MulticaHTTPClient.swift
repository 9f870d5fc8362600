import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One HTTP answer: status, headers and the whole body.
public struct ClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A small HTTP/1.1 JSON client on SwiftNIO for the multica REST API.
///
/// Every call is bounded by `timeout` (connect included); connections are kept alive
/// and reused one request at a time; a refused connection is `ClientError.unreachable`
/// with the URL, and a non-2xx answer is `ClientError.server` with the `{"error"}`
/// message. Only plain `http://` (TLS belongs to a proxy in front of the server).
public final class MulticaHTTPClient: Sendable {
    public let server: ServerAddress
    public let token: String?
    public let timeout: Duration
    let group: any EventLoopGroup

    /// Idle keep-alive connections, with the time they were last used.
    private let idle = Mutex<[(channel: any Channel, since: ContinuousClock.Instant)]>([])
    /// A kept-alive connection unused for longer than this is not reused: the server
    /// may be closing it right now, and a POST must never be sent twice.
    private static let maxIdle: Duration = .seconds(4)

    public init(server: ServerAddress, token: String?, timeout: Duration = .seconds(10),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.server = server
        self.token = token
        self.timeout = timeout
        self.group = group
    }

    deinit {
        for entry in idle.withLock({ $0 }) { entry.channel.close(promise: nil) }
    }

    /// Closes kept-alive connections.
    public func shutdown() async {
        let channels = idle.withLock { entries -> [any Channel] in
            defer { entries.removeAll() }
            return entries.map(\.channel)
        }
        for channel in channels { try? await channel.close() }
    }

    public func get(_ path: String) async throws(ClientError) -> ClientResponse {
        try await request(.GET, path)
    }

    public func post(_ path: String, json body: [UInt8]) async throws(ClientError) -> ClientResponse {
        try await request(.POST, path, body: body)
    }

    public func delete(_ path: String) async throws(ClientError) -> ClientResponse {
        try await request(.DELETE, path)
    }

    /// Sends one request; non-2xx answers throw `ClientError.server`.
    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws(ClientError) -> ClientResponse {
        let response = try await send(method, path, body: body)
        guard response.isSuccess else {
            throw .server(status: response.status, message: ClientError.message(fromBody: response.body, status: response.status))
        }
        return response
    }

    /// Sends one request and returns whatever status came back.
    public func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws(ClientError) -> ClientResponse {
        let url = server.url(path)
        let deadline = ContinuousClock.now + timeout
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: server.basePath + path)
        head.headers.add(name: "Host", value: server.hostHeader)
        head.headers.add(name: "User-Agent", value: "multica/\(MulticaKitVersion.string)")
        head.headers.add(name: "Accept", value: "application/json")
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method == .POST || method == .PUT {
            head.headers.add(name: "Content-Length", value: "0")
        }

        // A reused connection may have been closed by the server in between; an
        // idempotent request is then retried once on a fresh connection.
        if let channel = takeIdle() {
            do {
                return try await exchange(channel, head: head, body: body, url: url, deadline: deadline)
            } catch let error as ExchangeError {
                guard case .closedBeforeAnswer = error, method == .GET || method == .DELETE else { throw error.clientError }
            } catch {
                throw .protocolError("request to \(url) failed: \(error)")
            }
        }
        let channel = try await connect(url: url, deadline: deadline)
        do {
            return try await exchange(channel, head: head, body: body, url: url, deadline: deadline)
        } catch let error as ExchangeError {
            throw error.clientError
        } catch {
            throw .protocolError("request to \(url) failed: \(error)")
        }
    }

    enum ExchangeError: Error {
        case closedBeforeAnswer(String)
        case client(ClientError)

        var clientError: ClientError {
            switch self {
            case .closedBeforeAnswer(let url): return .protocolError("the server at \(url) closed the connection without answering")
            case .client(let error): return error
            }
        }
    }

    private func takeIdle() -> (any Channel)? {
        let now = ContinuousClock.now
        let (fresh, stale) = idle.withLock { entries -> ((any Channel)?, [any Channel]) in
            var stale: [any Channel] = []
            while let entry = entries.popLast() {
                if entry.channel.isActive, now - entry.since < Self.maxIdle { return (entry.channel, stale) }
                stale.append(entry.channel)
            }
            return (nil, stale)
        }
        for channel in stale { channel.close(promise: nil) }
        return fresh
    }

    private func connect(url: String, deadline: ContinuousClock.Instant) async throws(ClientError) -> any Channel {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw .timeout(url: url, seconds: Self.seconds(timeout)) }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount.nanoseconds(Self.nanoseconds(remaining)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                }
            }
        do {
            return try await bootstrap.connect(host: server.host, port: server.port).get()
        } catch {
            throw .unreachable(url: server.url(""), reason: Self.describe(connectError: error))
        }
    }

    private func exchange(
        _ channel: any Channel, head: HTTPRequestHead, body: [UInt8]?, url: String, deadline: ContinuousClock.Instant
    ) async throws -> ClientResponse {
        let promise = channel.eventLoop.makePromise(of: ClientResponse.self)
        let remaining = max(.zero, deadline - ContinuousClock.now)
        let seconds = Self.seconds(timeout)
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(remaining))) {
            promise.fail(ExchangeError.client(.timeout(url: url, seconds: seconds)))
            channel.close(promise: nil)
        }
        let buffer = body.map { ByteBuffer(bytes: $0) }
        channel.writeAndFlush(PendingExchange(head: head, body: buffer, promise: promise)).whenFailure { _ in
            promise.fail(ExchangeError.closedBeforeAnswer(url))
        }
        do {
            let response = try await promise.futureResult.get()
            timer.cancel()
            let keepAlive = response.headers["connection"].contains { $0.lowercased() == "close" } == false
            if keepAlive, channel.isActive {
                idle.withLock { $0.append((channel, ContinuousClock.now)) }
            } else {
                channel.close(promise: nil)
            }
            return response
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            if let error = error as? HTTPExchangeHandler.Closed, error.beforeAnswer { throw ExchangeError.closedBeforeAnswer(url) }
            if error is HTTPExchangeHandler.Closed { throw ExchangeError.client(.protocolError("the server at \(url) closed the connection mid-answer")) }
            if error is ExchangeError { throw error }
            throw ExchangeError.client(.protocolError("request to \(url) failed: \(error)"))
        }
    }

    static func describe(connectError error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(connectError: first.error) }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve host: \(dns)" }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "connection timed out"
            case EHOSTUNREACH: return "no route to host"
            case ENETUNREACH: return "network unreachable"
            default: return error.description
            }
        }
        if error is ChannelError, case .connectTimeout = error as! ChannelError { return "connection timed out" }
        return "\(error)"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(nanoseconds(duration)) / 1e9
    }
}

/// A request handed to the channel together with the promise of its answer.
struct PendingExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<ClientResponse>
}

/// Writes one request at a time and gathers its answer.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingExchange
    typealias OutboundOut = HTTPClientRequestPart

    struct Closed: Error { var beforeAnswer: Bool }

    private var pending: EventLoopPromise<ClientResponse>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = Self.unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.promise.fail(Closed(beforeAnswer: true))
            promise?.fail(Closed(beforeAnswer: true))
            return
        }
        pending = exchange.promise
        head = nil
        body.clear()
        context.write(Self.wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let buffer = exchange.body { context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.write(Self.wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let promise = pending, let head else { return }
            pending = nil
            self.head = nil
            var headers = head.headers
            if !head.isKeepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            body.clear()
            promise.succeed(ClientResponse(status: Int(head.status.code), headers: headers, body: bytes))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let promise = pending {
            pending = nil
            promise.fail(Closed(beforeAnswer: head == nil))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let promise = pending {
            pending = nil
            promise.fail(error)
        }
        context.close(promise: nil)
    }
}
