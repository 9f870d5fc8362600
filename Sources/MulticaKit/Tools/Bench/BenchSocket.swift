import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// What the sockets of one event loop observed. Every field but `received` is touched
/// only on that loop (so no lock); `received` is also read by the waiting task.
final class BenchLoopStats: @unchecked Sendable {
    let loop: any EventLoop
    /// Event frames seen (duplicates and strays included), for progress and completion.
    let received = Atomic<Int>(0)
    var histogram = LatencyHistogram()
    var unique = 0
    var duplicates = 0
    var unexpected = 0
    var closedEarly = 0
    var lastReceiveNanos: UInt64 = 0

    init(loop: any EventLoop) { self.loop = loop }
}

/// A WebSocket subscriber reduced to what the bench measures: the upgrade request is
/// written by hand, frames are decoded by NIO, and each event frame costs two short
/// byte scans (`"seq":` near the start, the send time at the very end), a histogram
/// increment and a bit set.
enum BenchSocket {
    struct UpgradeFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects, upgrades and waits for the hello frame; returns the channel and the
    /// workspace head the hello announced.
    static func connect(
        host: String, port: Int, path: String, loop: any EventLoop, stats: BenchLoopStats,
        expectedEvents: Int, timeout: TimeAmount
    ) -> EventLoopFuture<(any Channel, Int64)> {
        let hello = loop.makePromise(of: Int64.self)
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        BenchUpgradeHandler(request: request, hello: hello, stats: stats, expectedEvents: expectedEvents)
                    )
                }
            }
            .connect(host: host, port: port)
        connected.whenFailure { hello.fail($0) }
        let timer = loop.scheduleTask(in: timeout) {
            hello.fail(UpgradeFailed(description: "no hello within \(timeout.nanoseconds / 1_000_000_000)s"))
        }
        hello.futureResult.whenComplete { _ in timer.cancel() }
        return connected.and(hello.futureResult).flatMapErrorThrowing { error in
            connected.whenSuccess { $0.close(promise: nil) }
            throw error
        }
    }
}

/// Writes the upgrade request, reads the response head, and on 101 replaces itself
/// with the frame codec and the reader.
final class BenchUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let request: String
    private let hello: EventLoopPromise<Int64>
    private let stats: BenchLoopStats
    private let expectedEvents: Int
    private var buffer: ByteBuffer?

    init(request: String, hello: EventLoopPromise<Int64>, stats: BenchLoopStats, expectedEvents: Int) {
        self.request = request
        self.hello = hello
        self.stats = stats
        self.expectedEvents = expectedEvents
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        if buffer == nil { buffer = part } else { buffer!.writeBuffer(&part) }
        guard var received = buffer else { return }
        let view = received.readableBytesView
        guard let end = Self.headerEnd(view) else {
            if received.readableBytes > 16 * 1024 { fail(context, "upgrade response head too large") }
            return
        }
        let head = received.readString(length: end - view.startIndex) ?? ""
        let statusLine = head.prefix { $0 != "\r" }
        guard statusLine.hasPrefix("HTTP/1.1 101") else {
            let rest = received.readString(length: min(received.readableBytes, 200)) ?? ""
            fail(context, "upgrade refused: \(statusLine) \(rest)")
            return
        }
        buffer = nil
        do {
            let sync = context.pipeline.syncOperations
            try sync.addHandlers(
                [ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)), WebSocketFrameEncoder(),
                 BenchSocketReader(hello: hello, stats: stats, expectedEvents: expectedEvents)],
                position: .after(self)
            )
            if received.readableBytes > 0 { context.fireChannelRead(NIOAny(received)) }
            sync.removeHandler(context: context, promise: nil)
        } catch {
            fail(context, "cannot install the WebSocket codec: \(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello.fail(BenchSocket.UpgradeFailed(description: "connection closed during the upgrade"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        hello.fail(error)
        context.close(promise: nil)
    }

    private func fail(_ context: ChannelHandlerContext, _ message: String) {
        hello.fail(BenchSocket.UpgradeFailed(description: message))
        context.close(promise: nil)
    }

    /// Index just past "\r\n\r\n", if present.
    static func headerEnd(_ view: ByteBufferView) -> Int? {
        var i = view.startIndex
        let end = view.endIndex
        while i + 3 < end {
            if view[i] == 13, view[i + 1] == 10, view[i + 2] == 13, view[i + 3] == 10 { return i + 4 }
            i += 1
        }
        return nil
    }
}

/// Counts event frames for one socket: each `(socket, seq)` pair once, in a bit set
/// over the seqs its workspace is expected to get (`head+1 … head+expected`).
final class BenchSocketReader: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hello: EventLoopPromise<Int64>
    private let stats: BenchLoopStats
    private let expected: Int
    private var base: Int64 = -1
    private var seen: [UInt64]

    init(hello: EventLoopPromise<Int64>, stats: BenchLoopStats, expectedEvents: Int) {
        self.hello = hello
        self.stats = stats
        self.expected = expectedEvents
        self.seen = [UInt64](repeating: 0, count: (expectedEvents + 63) / 64)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if base >= 0 {
                event(frame.data)
            } else {
                base = frame.data.withUnsafeReadableBytes { Self.integer(after: Self.headKey, in: $0) } ?? 0
                hello.succeed(base)
            }
        case .ping:
            var payload = frame.unmaskedData
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())),
                promise: nil
            )
        case .connectionClose:
            stats.closedEarly += 1
            context.close(promise: nil)
        default:
            break
        }
    }

    /// The per-message path: kept to two scans, a clock read and two increments.
    @inline(__always)
    private func event(_ data: ByteBuffer) {
        let now = BenchSystem.monotonicNanos()
        let (seq, sent) = data.withUnsafeReadableBytes { bytes in
            (Self.integer(after: Self.seqKey, in: bytes), Self.trailingSendTime(bytes))
        }
        stats.received.wrappingAdd(1, ordering: .relaxed)
        stats.lastReceiveNanos = now
        if let sent, now >= sent { stats.histogram.record(now - sent) }
        guard let seq else { stats.unexpected += 1; return }
        let index = Int(seq - base - 1)
        guard index >= 0, index < expected else { stats.unexpected += 1; return }
        let bit: UInt64 = 1 << UInt64(index & 63)
        if seen[index >> 6] & bit != 0 {
            stats.duplicates += 1
        } else {
            seen[index >> 6] |= bit
            stats.unique += 1
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello.fail(BenchSocket.UpgradeFailed(description: "socket closed before its hello"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        hello.fail(error)
        context.close(promise: nil)
    }

    static let seqKey: [UInt8] = Array(#""seq":"#.utf8)
    static let headKey: [UInt8] = Array(#""head_seq":"#.utf8)
    static let sendTimeKey: [UInt8] = Array(#""bt":"#.utf8)

    /// The non-negative integer right after the first occurrence of `key`.
    @inline(__always)
    static func integer(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int64? {
        let n = bytes.count, k = key.count
        guard n > k else { return nil }
        let first = key[0]
        var i = 0
        outer: while i + k < n {
            if bytes[i] == first {
                for j in 1..<k where bytes[i + j] != key[j] { i += 1; continue outer }
                var j = i + k
                var value: Int64 = 0
                var digits = 0
                while j < n, bytes[j] >= 48, bytes[j] <= 57 {
                    value = value &* 10 &+ Int64(bytes[j] &- 48)
                    j += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            i += 1
        }
        return nil
    }

    /// The send time the bench put last in the payload: the frame ends with
    /// `"bt":DIGITS}` followed by closing braces. Falls back to a forward scan.
    @inline(__always)
    static func trailingSendTime(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var end = bytes.count - 1
        while end >= 0, bytes[end] == UInt8(ascii: "}") { end -= 1 }
        var start = end
        while start >= 0, bytes[start] >= 48, bytes[start] <= 57 { start -= 1 }
        let k = sendTimeKey.count
        if start < end, start - k + 1 >= 0 {
            var matches = true
            for j in 0..<k where bytes[start - k + 1 + j] != sendTimeKey[j] { matches = false; break }
            if matches {
                var value: UInt64 = 0
                for i in (start + 1)...end { value = value &* 10 &+ UInt64(bytes[i] &- 48) }
                return value
            }
        }
        return integer(after: sendTimeKey, in: bytes).map { UInt64($0) }
    }
}
