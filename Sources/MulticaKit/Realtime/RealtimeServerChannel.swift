import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The server's child channel: HTTP/1.1 for the REST API, and WebSocket upgrade on
/// `/ws` with authentication and membership decided **before** the upgrade.
///
/// Why our own channel: HummingbirdWebSocket 2.8.1 answers every refused upgrade with
/// a hard-coded 400, while SPEC §7 needs 401 and 403 with JSON bodies. This channel
/// runs the `SocketAuthorizer` inside NIO's `shouldUpgrade`, keeps the rejection on
/// the connection, and writes it as the response when the upgrade does not happen.
/// After a successful upgrade it installs `SocketConnectionHandler` directly in the
/// pipeline (no async sequence per socket), registers the socket with the hub and
/// runs the replay.
public struct RealtimeServerChannel: ServerChildChannel, HTTPChannelHandler {
    public enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case rejected(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, UpgradeRejection)
        case websocket(SocketHandle)
    }

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    private let realtime: RealtimeService
    private let idleTimeout: Duration?

    public init(responder: @escaping HTTPChannelHandler.Responder, realtime: RealtimeService, idleTimeout: Duration? = .seconds(60)) {
        self.responder = responder
        self.realtime = realtime
        self.idleTimeout = idleTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let rejection = NIOLoopBoundBox<UpgradeRejection?>(nil, eventLoop: channel.eventLoop)
            let identity = NIOLoopBoundBox<SocketIdentity?>(nil, eventLoop: channel.eventLoop)
            let realtime = self.realtime
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: realtime.settings.maxInboundMessageBytes,
                // Our socket handler answers protocol errors itself (1009 for an oversized
                // frame); NIO's error handler would need the frame encoder we remove.
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    let request = UpgradeRequest(
                        uri: head.uri,
                        authorization: head.headers.first(name: "authorization"),
                        origin: head.headers.first(name: "origin"),
                        protocols: Self.joined(head.headers[canonicalForm: "sec-websocket-protocol"])
                    )
                    let promise = channel.eventLoop.makePromise(of: Result<SocketIdentity, UpgradeRejection>.self)
                    promise.completeWithTask { await realtime.authorize(request) }
                    return promise.futureResult.map { result -> HTTPHeaders? in
                        switch result {
                        case .success(let accepted):
                            identity.value = accepted
                            var headers = HTTPHeaders()
                            if let selected = request.selectedProtocol { headers.add(name: "Sec-WebSocket-Protocol", value: selected) }
                            return headers
                        case .failure(let refused):
                            rejection.value = refused
                            return nil
                        }
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let identity = identity.value else { throw ChannelError.inappropriateOperationForState }
                        // WebSocket frames, not HTTP parts, flow from here on.
                        let pipeline = channel.pipeline.syncOperations
                        if let responder = try? pipeline.handler(type: HTTPParseErrorResponder.self) {
                            pipeline.removeHandler(responder, promise: nil)
                        }
                        let handle = try realtime.attach(identity: identity, to: channel)
                        return Negotiated.websocket(handle)
                    }
                }
            )
            let idleTimeout = self.idleTimeout
            let configuration = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger)
                        )
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if let refused = rejection.value { return .rejected(asyncChannel, refused) }
                        return .http(asyncChannel)
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: configuration)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            pipeline.decoderConfiguration = HTTPLimits.decoder
            let sync = channel.pipeline.syncOperations
            let negotiated = try sync.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            // Answers 431/400 for heads the decoder refuses (NIO's handler is off above:
            // it answers an empty 400 to everything and never closes).
            let decoder = try sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try sync.addHandler(HTTPParseErrorResponder(), position: .after(decoder))
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .rejected(let http, let rejection):
                await writeRejection(rejection, on: http, logger: logger)
            case .websocket(let handle):
                await realtime.run(handle, channel: value.channel)
            }
        } catch {
            logger.debug("connection ended during negotiation", metadata: ["error": "\(error)"])
        }
    }

    /// Every field of a repeated header, as one comma-separated value (nil when absent).
    static func joined(_ values: [Substring]) -> String? {
        values.isEmpty ? nil : values.joined(separator: ",")
    }

    private func writeRejection(
        _ rejection: UpgradeRejection, on channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger
    ) async {
        do {
            try await channel.executeThenClose { _, outbound in
                let body = rejection.body
                let head = HTTPResponse(
                    status: .init(code: rejection.status),
                    headerFields: [.contentType: "application/json", .contentLength: String(body.count), .connection: "close"]
                )
                try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(bytes: body)), .end(nil)])
            }
        } catch {
            logger.trace("could not write upgrade rejection", metadata: ["error": "\(error)"])
        }
    }
}
