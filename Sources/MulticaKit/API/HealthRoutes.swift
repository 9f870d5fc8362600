import Hummingbird

/// `/healthz` (the process answers), `/readyz` (the database answers) and
/// `/metrics` (Prometheus text). None needs a token.
struct HealthRoutes {
    let repository: any Repository
    let metrics: MetricsRegistry

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.bytes(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/readyz") { _, _ in
            await repository.isReachable()
                ? JSONResponse.bytes(Array(#"{"status":"ready"}"#.utf8))
                : JSONResponse.error(.serviceUnavailable, "database unreachable")
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
    }
}
