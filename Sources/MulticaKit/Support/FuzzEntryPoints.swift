import Foundation
import NIOCore
import NIOWebSocket

/// Minimal public entry points for the libFuzzer targets in `Fuzz/` (a separate
/// package, so it sees only public API). Each runs one internal decoder exactly as
/// the server does and swallows the errors bad input is expected to cause; a crash,
/// leak or hang is what the fuzzer looks for. Not used by the server itself.
public enum FuzzEntryPoints {
    /// Installs the post-upgrade WebSocket pipeline of `/ws` on `channel` (an
    /// `EmbeddedChannel` in the fuzzer): NIO's frame decoder, the raw frame writer and
    /// `SocketConnectionHandler`, live (past replay), as `RealtimeService.attach` does.
    /// Must be called on the channel's event loop.
    public static func installSocketPipeline(on channel: any Channel, settings: SocketSettings = SocketSettings()) throws {
        let pipeline = channel.pipeline.syncOperations
        let writer = RawFrameWriter()
        try pipeline.addHandler(writer, position: .first)
        try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: settings.maxInboundMessageBytes)))
        let identity = SocketIdentity(
            userID: "fuzz", workspaceID: "fuzz", isAdmin: false, expiresAt: Date().addingTimeInterval(3600), since: nil
        )
        let handler = SocketConnectionHandler(
            identity: identity, settings: settings, metrics: RealtimeMetrics(), output: try pipeline.context(handler: writer),
            probeDeadlines: ProbeDeadlines(loop: channel.eventLoop)
        )
        try pipeline.addHandler(handler)
        handler.finishReplay(through: 0)
    }

    /// Decodes `bytes` as every kind of request body the API reads: the synthetic
    /// publish body (one event or a batch) and each resource body type.
    public static func decodeRequestBodies(_ bytes: [UInt8]) {
        let actor = Principal(userID: "fuzz", email: nil, name: nil, isAdmin: false)
        if let first = bytes.first(where: { !$0.isJSONWhitespace }), first == UInt8(ascii: "[") {
            if let ranges = try? JSONScanner.arrayElements(bytes) {
                for range in ranges.prefix(16) { _ = try? EventRoutes.parse(Array(bytes[range]), fieldPrefix: "[0].", actor: actor) }
            }
        } else {
            _ = try? EventRoutes.parse(bytes, fieldPrefix: "", actor: actor)
        }
        _ = try? RequestBody.decode(WorkspaceRoutes.CreateBody.self, from: bytes)
        _ = try? RequestBody.decode(WorkspaceRoutes.PatchBody.self, from: bytes)
        _ = try? RequestBody.decode(MemberRoutes.AddBody.self, from: bytes)
        _ = try? RequestBody.decode(IssueRoutes.Body.self, from: bytes)
        _ = try? RequestBody.decode(AgentRoutes.Body.self, from: bytes)
        _ = try? RequestBody.decode(CommentRoutes.CreateBody.self, from: bytes)
        _ = try? RequestBody.decode(DaemonTaskRoutes.ProgressBody.self, from: bytes)
        _ = try? EventEnvelope(frame: bytes)
    }
}
