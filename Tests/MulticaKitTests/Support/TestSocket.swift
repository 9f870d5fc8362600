import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// A deliberately low-level WebSocket client for tests: it writes the upgrade request
/// by hand (so a refused upgrade's status and body can be read), can stop reading to
/// play a slow consumer, and can send frames a well-behaved client never would.
final class TestSocket: Sendable {
    enum Received: Equatable, Sendable {
        case text(String)
        case close(UInt16?)
        case ended
    }

    struct Refused: Error, Equatable {
        let status: Int
        let body: String
    }

    private let channel: any Channel
    private let inbox: Inbox
    /// The headers of the server's 101 answer, names lowercased.
    let responseHeaders: [String: String]
    /// Pings received from the server (each is answered).
    let pings: PingCount

    private init(channel: any Channel, inbox: Inbox, responseHeaders: [String: String], pings: PingCount) {
        self.channel = channel
        self.inbox = inbox
        self.responseHeaders = responseHeaders
        self.pings = pings
    }

    /// Upgrades `GET path` on 127.0.0.1:port. Throws `Refused` with the server's status
    /// and body when the upgrade is refused.
    ///
    /// `receiveBuffer` sets SO_RCVBUF (bytes; Linux doubles it) before the connect, which
    /// is when it must be set: it fixes the window scale and turns off the kernel's
    /// receive-buffer autotuning for this socket. A slow consumer needs it on loopback,
    /// where autotuned buffers of several MiB otherwise absorb everything the server
    /// sends a stalled reader and its send queue never overflows.
    ///
    /// `pongDelay` answers each ping that much later, as a peer that far away would,
    /// while everything else is read at once.
    static func connect(
        port: Int, path: String, headers: [String: String] = [:], receiveBuffer: Int? = nil,
        pongDelay: TimeAmount? = nil, timeout: Double = 10
    ) async throws -> TestSocket {
        let inbox = Inbox()
        let pings = PingCount()
        let upgrade = UpgradeResponse()
        let channel = try await withTimeout(timeout, "connect") {
            var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
            if let receiveBuffer {
                bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
            }
            return try await bootstrap
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UpgradeHandler(response: upgrade, inbox: inbox, pings: pings, pongDelay: pongDelay)
                        )
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let (status, body) = try await withTimeout(timeout, "upgrade response") { await upgrade.wait() }
        guard status == 101 else {
            try? await channel.close()
            throw Refused(status: status, body: body)
        }
        return TestSocket(channel: channel, inbox: inbox, responseHeaders: upgrade.headers, pings: pings)
    }

    /// The next frame or end of stream, within `timeout` seconds.
    func next(timeout: Double = 10) async throws -> Received {
        try await withTimeout(timeout, "next frame") {
            guard let item = await self.inbox.next() else { throw CancellationError() }
            return item
        }
    }

    /// Reads text frames until `count` of them arrived; fails on close or timeout.
    func texts(_ count: Int, timeout: Double = 10) async throws -> [String] {
        var out: [String] = []
        while out.count < count {
            switch try await next(timeout: timeout) {
            case .text(let text): out.append(text)
            case let other: throw TimedOut(what: "wanted \(count) frames, got \(out.count) then \(other)")
            }
        }
        return out
    }

    /// Waits for the close frame (its code) or the end of the stream, skipping texts.
    func closeCode(timeout: Double = 10) async throws -> UInt16? {
        while true {
            switch try await next(timeout: timeout) {
            case .text: continue
            case .close(let code): return code
            case .ended: return nil
            }
        }
    }

    /// Frames already received and not yet read (does not wait).
    func drain() -> [Received] { inbox.drain() }

    func send(text: String) async throws {
        try await send(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    func send(_ frame: WebSocketFrame) async throws {
        try await withTimeout(5, "send") { try await self.channel.writeAndFlush(frame) }
    }

    /// Stops reading from the socket: the server's writes back up.
    func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
    }

    func close() async {
        try? await channel.close()
    }
}

/// Parses the raw HTTP response to the upgrade request; on 101 swaps itself for the
/// WebSocket codec and hands over any bytes that followed the head.
private final class UpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let response: UpgradeResponse
    private let inbox: Inbox
    private let pings: PingCount
    private let pongDelay: TimeAmount?
    private var buffer = ByteBuffer()
    private var status: Int?
    private var bodyLength = 0
    private var headEnd = 0

    init(response: UpgradeResponse, inbox: Inbox, pings: PingCount, pongDelay: TimeAmount?) {
        self.response = response
        self.inbox = inbox
        self.pings = pings
        self.pongDelay = pongDelay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        if status == nil {
            let view = Array(buffer.readableBytesView)
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: view[..<end.lowerBound], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            bodyLength = Int(headers["content-length"] ?? "") ?? 0
            response.headers = headers
            headEnd = end.upperBound
        }
        guard let status else { return }
        if status == 101 {
            buffer.moveReaderIndex(forwardBy: headEnd)
            let rest = buffer
            let pipeline = context.pipeline.syncOperations
            try? pipeline.addHandler(WebSocketFrameEncoder(), position: .after(self))
            try? pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)), position: .last)
            try? pipeline.addHandler(FrameCollector(inbox: inbox, pings: pings, pongDelay: pongDelay), position: .last)
            response.complete(status: 101, body: "")
            // Hand over what followed the head (often the hello frame) before leaving.
            if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
            buffer.clear()
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        } else if buffer.readableBytes - headEnd >= bodyLength {
            let body = String(decoding: Array(buffer.readableBytesView)[headEnd..<(headEnd + bodyLength)], as: UTF8.self)
            response.complete(status: status, body: body)
        }
    }

    typealias InboundOut = ByteBuffer

    func channelInactive(context: ChannelHandlerContext) {
        response.complete(status: status ?? 0, body: "")
        inbox.push(.ended)
    }
}

/// Collects frames for the test; answers pings so the server keeps the socket.
private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let inbox: Inbox
    private let pings: PingCount
    private let pongDelay: TimeAmount?

    init(inbox: Inbox, pings: PingCount, pongDelay: TimeAmount?) {
        self.inbox = inbox
        self.pings = pings
        self.pongDelay = pongDelay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            inbox.push(.text(String(buffer: frame.unmaskedData)))
        case .connectionClose:
            var data = frame.unmaskedData
            inbox.push(.close(data.readInteger(as: UInt16.self)))
        case .ping:
            pings.add()
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            if let pongDelay {
                let later = NIOLoopBound((context, self), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: pongDelay) {
                    let (context, collector) = later.value
                    context.writeAndFlush(collector.wrapOutboundOut(pong), promise: nil)
                }
            } else {
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.push(.ended)
    }
}

/// The frames received, and at most one waiter.
private final class Inbox: Sendable {
    private struct State {
        var items: [TestSocket.Received] = []
        var waiter: CheckedContinuation<TestSocket.Received?, Never>?
        var ended = false
    }
    private let state = Mutex(State())

    func push(_ item: TestSocket.Received) {
        let waiter: CheckedContinuation<TestSocket.Received?, Never>? = state.withLock { state in
            if state.ended { return nil }
            if item == .ended { state.ended = true }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
    }

    /// The next item; nil when the waiting task was cancelled (the item, if one
    /// arrives later, stays for the next reader instead of being lost).
    func next() async -> TestSocket.Received? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = Task.isCancelled
                let ready: TestSocket.Received?? = state.withLock { state in
                    if !state.items.isEmpty { return .some(state.items.removeFirst()) }
                    if state.ended { return .some(.ended) }
                    if cancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let item) = ready { continuation.resume(returning: item) }
            }
        } onCancel: {
            cancelWaiter()
        }
    }

    private func cancelWaiter() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func drain() -> [TestSocket.Received] {
        state.withLock { state in
            defer { state.items.removeAll() }
            return state.items
        }
    }
}

/// The status and body of the upgrade response, delivered once.
private final class UpgradeResponse: Sendable {
    private let head = Mutex<[String: String]>([:])
    var headers: [String: String] {
        get { head.withLock { $0 } }
        set { head.withLock { $0 = newValue } }
    }
    private let state = Mutex<(result: (Int, String)?, waiter: CheckedContinuation<(Int, String), Never>?)>((nil, nil))

    func complete(status: Int, body: String) {
        let waiter = state.withLock { state -> CheckedContinuation<(Int, String), Never>? in
            guard state.result == nil else { return nil }
            state.result = (status, body)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: (status, body))
    }

    func wait() async -> (Int, String) {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (Int, String)? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// How many pings a `TestSocket` has received.
final class PingCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
