import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 document of the REST API (`OpenAPIDocument`),
/// embedded in the binary. Public like `/healthz` (no token).
struct OpenAPIRoute {
    private static let body = Array(OpenAPIDocument.json.utf8)

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/openapi.json") { _, _ in JSONResponse.bytes(Self.body) }
    }
}
