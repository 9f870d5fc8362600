import NIOCore

/// A pass-through at the head of a socket's pipeline. `SocketConnectionHandler` writes
/// pre-encoded frame bytes through this handler's context, so they go straight to the
/// socket without passing NIO's `WebSocketFrameEncoder`.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
