import NIOCore
import NIOHTTP1

/// Answers a request the HTTP/1.1 decoder cannot parse, at once, then closes.
///
/// Why: the pipeline runs with NIO's own protocol error handler disabled (it answers
/// an empty 400 for everything and leaves closing to others), and without any handler
/// a parse error left the connection open and silent: a 100 KB header got no answer
/// at all. SPEC §6 wants 431 `{"error":"header fields too large"}` for a head over
/// `HTTPLimits`, then the connection closed; any other parse error is a 400.
///
/// Placement: right after the request decoder, so it sees the decoder's error first
/// and writes `HTTPServerResponsePart`s through the response encoder. It is removed at
/// a WebSocket upgrade (the typed parts it watches no longer flow there).
///
/// Closing: the response is written and the output side shut (FIN); the rest of the
/// oversized request the client is still sending is read and dropped for up to
/// `lingerTime`, so the kernel does not answer it with a reset that would destroy the
/// 431 before the client reads it; then the channel closes.
///
/// Threading: event loop only, like every handler.
final class HTTPParseErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let lingerTime = TimeAmount.seconds(2)

    private var responseInFlight = false
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = Self.parserError(error) else {
            context.fireErrorCaught(error)
            return
        }
        // Further errors are the decoder refusing the bytes that follow (it stays in
        // its error state): already answered.
        guard !answered else { return }
        answered = true
        let (status, message) = Self.answer(for: parseError)
        if responseInFlight {
            // A response already started cannot be replaced: just end the connection.
            context.close(promise: nil)
            return
        }
        let body = ByteBuffer(string: #"{"error":"\#(message)"}"#)
        let head = HTTPResponseHead(
            version: .http1_1, status: status,
            headers: ["Content-Type": "application/json", "Content-Length": "\(body.readableBytes)", "Connection": "close"]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        let loop = context.eventLoop
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            loop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client read our answer and closed: nothing left to wait for.
        if answered, case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responseInFlight = true
        case .end: responseInFlight = false
        default: break
        }
        context.write(data, promise: promise)
    }

    private static func parserError(_ error: any Error) -> HTTPParserError? {
        if let error = error as? HTTPParserError { return error }
        if case ByteToMessageDecoderError.dataReceivedInErrorState(let inner, _)? = error as? ByteToMessageDecoderError {
            return inner as? HTTPParserError ?? .unknown
        }
        return nil
    }

    static func answer(for error: HTTPParserError) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow: return (.requestHeaderFieldsTooLarge, "header fields too large")
        default: return (.badRequest, "malformed HTTP request")
        }
    }
}
