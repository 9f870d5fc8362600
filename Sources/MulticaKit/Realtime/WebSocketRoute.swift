import Hummingbird

/// `GET /ws` reached without an upgrade: answers with the same rejection the upgrade
/// path would give (so a client can learn why it was refused), else 426.
struct WebSocketRoute {
    let realtime: RealtimeService

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/ws") { request, _ in
            let upgrade = UpgradeRequest(
                uri: request.uri.description, authorization: request.headers[.authorization], origin: request.headers[.origin],
                protocols: RealtimeServerChannel.joined(request.headers[values: .secWebSocketProtocol].map { Substring($0) })
            )
            switch await realtime.authorize(upgrade) {
            case .failure(let rejection):
                return JSONResponse.bytes(rejection.body, status: .init(code: rejection.status))
            case .success:
                return JSONResponse.error(.upgradeRequired, "websocket upgrade required")
            }
        }
    }
}
