import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The server's first frame: `{"type":"hello","payload":{workspace_id,user_id,head_seq,recovered}}`.
public struct SocketHello: Sendable, Equatable {
    public var workspaceID: String
    public var userID: String
    public var headSeq: Int64
    /// False when `since` reached past the retained log: events were lost to retention.
    public var recovered: Bool
    public var raw: [UInt8]
}

/// How a socket ended.
public struct SocketClosure: Sendable, Equatable, CustomStringConvertible {
    /// The close code the server sent, nil when the connection just dropped.
    public var code: UInt16?
    public var reason: String

    public var description: String {
        guard let code else { return reason }
        let known = CloseCode(rawValue: code).map { $0.reason } ?? ""
        let text = reason.isEmpty ? known : reason
        return text.isEmpty ? "code \(code)" : "code \(code), \(text)"
    }
}

/// What a socket delivers, in order; `.closed` is always the last element.
public enum SocketEvent: Sendable {
    case hello(SocketHello)
    case event(ReceivedEvent)
    /// A text frame that is neither a hello, an envelope nor a pong, kept as received.
    case other([UInt8])
    case closed(SocketClosure)
}

/// A WebSocket client for `GET /ws` on SwiftNIO (SPEC §7).
///
/// A refused upgrade is reported with its exact status and the server's `{"error"}`
/// message (`ClientError.server`); connection problems as `ClientError.unreachable`.
/// Server pings are answered with pongs; the client sends `{"type":"ping"}` every
/// `pingInterval` and closes the socket itself when nothing at all arrived for
/// `idleTimeout`, so iterating `events` never hangs on a dead peer. Every text frame
/// is kept as raw bytes so `--json` can print exactly what was received.
public final class MulticaSocket: Sendable {
    public struct Settings: Sendable {
        /// Connect plus upgrade.
        public var connectTimeout: Duration = .seconds(10)
        public var pingInterval: Duration = .seconds(15)
        /// No frame of any kind for this long closes the socket as dead.
        public var idleTimeout: Duration = .seconds(45)
        /// Largest frame accepted from the server (envelopes carry payloads up to 64 KiB).
        public var maxFrameSize: Int = 4 << 20
        public init() {}
    }

    public let events: AsyncStream<SocketEvent>
    private let channel: any Channel

    private init(channel: any Channel, events: AsyncStream<SocketEvent>) {
        self.channel = channel
        self.events = events
    }

    /// Sends a text frame (masked, as a client must).
    public func send(text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Sends a close frame and closes the connection; `events` ends with `.closed`.
    public func close(code: UInt16 = 1000) {
        var data = ByteBuffer()
        data.writeInteger(code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        let channel = self.channel
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The query string of `/ws`; `subscribe: false` asks for a publish-only socket.
    public static func path(workspaceID: String, since: Int64?, subscribe: Bool = true) -> String {
        var path = "/ws?workspace_id=\(ServerAddress.escape(workspaceID))"
        if let since { path += "&since=\(since)" }
        if !subscribe { path += "&subscribe=false" }
        return path
    }

    private enum Outcome: Sendable {
        case upgraded
        case refused(EventLoopFuture<(HTTPResponseHead, [UInt8])>)
    }

    public static func connect(
        server: ServerAddress, token: String?, workspaceID: String, since: Int64?, subscribe: Bool = true,
        settings: Settings = Settings(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ClientError) -> MulticaSocket {
        let path = Self.path(workspaceID: workspaceID, since: since, subscribe: subscribe)
        let url = server.url(path)
        let (stream, continuation) = AsyncStream<SocketEvent>.makeStream()

        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: server.basePath + path)
        head.headers.add(name: "Host", value: server.hostHeader)
        head.headers.add(name: "User-Agent", value: "multica/\(MulticaKitVersion.string)")
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        head.headers.add(name: "Content-Length", value: "0")

        let upgrader = NIOTypedWebSocketClientUpgrader<Outcome>(
            maxFrameSize: settings.maxFrameSize,
            enableAutomaticErrorHandling: true,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SocketFrameHandler(continuation: continuation, settings: settings)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return Outcome.upgraded
                }
            }
        )
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration<Outcome>(
            upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                upgradeRequestHead: head,
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let promise = channel.eventLoop.makePromise(of: (HTTPResponseHead, [UInt8]).self)
                        try channel.pipeline.syncOperations.addHandler(RefusalCollector(promise: promise))
                        return Outcome.refused(promise.futureResult)
                    }
                }
            )
        )
        // The hello frame may arrive in the same read as the 101: keep those bytes.
        configuration.leftOverBytesStrategy = .forwardBytes
        let pipelineConfiguration = configuration

        let deadline = ContinuousClock.now + settings.connectTimeout
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(MulticaHTTPClient.nanoseconds(settings.connectTimeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)

        let channel: any Channel
        let upgrade: EventLoopFuture<Outcome>
        do {
            (channel, upgrade) = try await bootstrap.connect(host: server.host, port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let future = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipelineConfiguration)
                    return (channel, future)
                }
            }
        } catch {
            continuation.finish()
            throw .unreachable(url: server.url(""), reason: MulticaHTTPClient.describe(connectError: error))
        }

        // Bound the upgrade and the reading of a refusal by the same deadline.
        let result = channel.eventLoop.makePromise(of: Outcome.self)
        let remaining = max(.zero, deadline - ContinuousClock.now)
        let seconds = MulticaHTTPClient.seconds(settings.connectTimeout)
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(MulticaHTTPClient.nanoseconds(remaining))) {
            result.fail(ClientError.timeout(url: url, seconds: seconds))
            channel.close(promise: nil)
        }
        upgrade.cascade(to: result)
        channel.closeFuture.whenComplete { _ in
            result.fail(ClientError.protocolError("the server at \(url) closed the connection during the WebSocket handshake"))
        }

        do {
            switch try await result.futureResult.get() {
            case .upgraded:
                timer.cancel()
                return MulticaSocket(channel: channel, events: stream)
            case .refused(let answer):
                let refusal = channel.eventLoop.makePromise(of: (HTTPResponseHead, [UInt8]).self)
                answer.cascade(to: refusal)
                result.futureResult.whenFailure { refusal.fail($0) }
                channel.closeFuture.whenComplete { _ in
                    refusal.fail(ClientError.protocolError("the server at \(url) closed the connection mid-answer"))
                }
                let (responseHead, body) = try await refusal.futureResult.get()
                timer.cancel()
                channel.close(promise: nil)
                continuation.finish()
                let status = Int(responseHead.status.code)
                throw ClientError.server(status: status, message: ClientError.message(fromBody: body, status: status))
            }
        } catch let error as ClientError {
            timer.cancel()
            channel.close(promise: nil)
            continuation.finish()
            throw error
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            continuation.finish()
            throw .protocolError("WebSocket handshake with \(url) failed: \(error)")
        }
    }
}

/// Gathers the HTTP answer of a refused upgrade.
final class RefusalCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body(var chunk): if body.readableBytes < 64 << 10 { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            promise.succeed((head, body.readBytes(length: body.readableBytes) ?? []))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let head { promise.succeed((head, body.readBytes(length: body.readableBytes) ?? [])) }
        context.fireChannelInactive()
    }
}

/// After the upgrade: reassembles text frames, answers pings, keeps the socket alive,
/// detects a dead peer, and reports the close code.
final class SocketFrameHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<SocketEvent>.Continuation
    private let settings: MulticaSocket.Settings
    private var fragments: [UInt8]? = nil
    private var closure: SocketClosure?
    private var sentClose = false
    private var lastInbound = NIODeadline.now()
    private var keepAlive: RepeatedTask?

    init(continuation: AsyncStream<SocketEvent>.Continuation, settings: MulticaSocket.Settings) {
        self.continuation = continuation
        self.settings = settings
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let interval = TimeAmount.nanoseconds(MulticaHTTPClient.nanoseconds(settings.pingInterval))
        let idle = TimeAmount.nanoseconds(MulticaHTTPClient.nanoseconds(settings.idleTimeout))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        keepAlive = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            if NIODeadline.now() - handler.lastInbound > idle {
                handler.closure = handler.closure
                    ?? SocketClosure(code: nil, reason: "nothing received from the server for \(MulticaHTTPClient.seconds(handler.settings.idleTimeout))s")
                context.close(promise: nil)
                return
            }
            handler.sendText(context: context, #"{"type":"ping"}"#)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        keepAlive?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        lastInbound = .now()
        switch frame.opcode {
        case .text:
            let bytes = Array(frame.unmaskedData.readableBytesView)
            if frame.fin { deliver(bytes) } else { fragments = bytes }
        case .continuation:
            guard var partial = fragments else { return }
            partial.append(contentsOf: frame.unmaskedData.readableBytesView)
            if frame.fin { fragments = nil; deliver(partial) } else { fragments = partial }
        case .binary:
            break
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            if closure == nil { closure = SocketClosure(code: code, reason: reason) }
            if !sentClose {
                sentClose = true
                var echo = ByteBuffer()
                if let code { echo.writeInteger(code) }
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                context.writeAndFlush(Self.wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    private func deliver(_ bytes: [UInt8]) {
        guard let members = try? JSONScanner.objectMembers(bytes) else {
            continuation.yield(.other(bytes))
            return
        }
        func string(_ key: String, in source: [UInt8], _ members: [JSONScanner.Member]) -> String? {
            members.first { $0.key == key }.flatMap { try? EventJSON.decoder.decode(String.self, from: Data(source[$0.valueRange])) }
        }
        let type = string("type", in: bytes, members)
        if members.contains(where: { $0.key == "seq" }), let event = try? ReceivedEvent(raw: bytes) {
            continuation.yield(.event(event))
            return
        }
        if type == "pong" { return }
        if type == "hello", let payloadMember = members.first(where: { $0.key == "payload" }) {
            let payload = Array(bytes[payloadMember.valueRange])
            if let inner = try? JSONScanner.objectMembers(payload) {
                func int(_ key: String) -> Int64? {
                    inner.first { $0.key == key }.flatMap { Int64(String(decoding: payload[$0.valueRange], as: UTF8.self)) }
                }
                let recovered = inner.first { $0.key == "recovered" }.map { String(decoding: payload[$0.valueRange], as: UTF8.self) != "false" } ?? true
                continuation.yield(.hello(SocketHello(
                    workspaceID: string("workspace_id", in: payload, inner) ?? "",
                    userID: string("user_id", in: payload, inner) ?? "",
                    headSeq: int("head_seq") ?? 0,
                    recovered: recovered,
                    raw: bytes
                )))
                return
            }
        }
        continuation.yield(.other(bytes))
    }

    private func sendText(context: ChannelHandlerContext, _ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closure == nil {
            if let error = error as? NIOWebSocketError, case .invalidFrameLength = error {
                closure = SocketClosure(code: 1009, reason: "frame from the server too large")
            } else {
                closure = SocketClosure(code: nil, reason: "connection error: \(error)")
            }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepAlive?.cancel()
        continuation.yield(.closed(closure ?? SocketClosure(code: nil, reason: "connection lost")))
        continuation.finish()
        context.fireChannelInactive()
    }
}
