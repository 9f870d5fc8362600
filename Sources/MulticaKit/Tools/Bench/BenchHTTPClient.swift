import NIOCore
import NIOHTTP1
import NIOPosix

/// A keep-alive HTTP/1.1 connection for the benchmark: requests go out in order and
/// each is answered by the next response. Only what the bench needs (no redirects,
/// no chunked request bodies, no TLS).
final class BenchHTTPConnection: Sendable {
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let channel: any Channel
    private let hostHeader: String

    private init(channel: any Channel, hostHeader: String) {
        self.channel = channel
        self.hostHeader = hostHeader
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup, timeout: TimeAmount = .seconds(10)) async throws -> BenchHTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(BenchHTTPClientHandler())
                }
            }
            .connect(host: host, port: port).get()
        return BenchHTTPConnection(channel: channel, hostHeader: "\(host):\(port)")
    }

    /// Sends one request and waits for its response, at most `timeout` (then the
    /// connection is closed and the call throws).
    func send(
        _ method: HTTPMethod, _ path: String, token: String?, body: ByteBuffer? = nil, timeout: TimeAmount = .seconds(60)
    ) async throws -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: hostHeader)
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        } else if method == .POST {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        channel.writeAndFlush(BenchHTTPClientHandler.Request(head: head, body: body, response: promise), promise: nil)
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    func send(_ method: HTTPMethod, _ path: String, token: String?, json: String) async throws -> Response {
        try await send(method, path, token: token, body: ByteBuffer(string: json))
    }
}

/// Pairs each request with the next response (HTTP/1.1 without pipelining surprises:
/// the bench never has more than one request in flight per connection).
final class BenchHTTPClientHandler: ChannelDuplexHandler {
    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer?
        var response: EventLoopPromise<BenchHTTPConnection.Response>
    }

    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    private var pending = CircularBuffer<EventLoopPromise<BenchHTTPConnection.Response>>()
    private var status = 0
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.response)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            let response = BenchHTTPConnection.Response(status: status, body: body ?? ByteBuffer())
            body = nil
            pending.popFirst()?.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(BenchHTTPConnection.Failure(description: "connection closed (or timed out) before the response"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = pending.popFirst() { promise.fail(error) }
    }
}
