import Foundation
import HTTPTypes
import Hummingbird

/// `GET /` (the viewer page) and `GET /assets/{hash}/{name}` (its modules and styles),
/// SPEC §8. No authentication: the page holds no data; it signs in from the browser.
///
/// Headers: a strict Content-Security-Policy (scripts and styles only from this origin,
/// no inline script, network only to this origin over HTTP and WebSocket), `nosniff`,
/// no referrer, no framing; the page is `no-cache` (revalidated by its ETag, the bundle
/// hash) and assets, whose URLs carry that hash, are `immutable`.
struct WebRoutes {
    let assets: WebAssets

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/") { request, _ in page(request) }
        router.get("/assets/{hash}/{name}") { _, context in
            guard let hash = context.parameters.get("hash"), let name = context.parameters.get("name"),
                  let file = assets.asset(hash: hash, name: name)
            else { return JSONResponse.error(.notFound, "no such asset") }
            var headers = Self.commonHeaders
            headers[.contentType] = file.contentType
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }

    private func page(_ request: Request) -> Response {
        let etag = "\"\(assets.hash)\""
        var headers = Self.commonHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = etag
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy(host: request.head.authority)
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: assets.page)))
    }

    static let commonHeaders: HTTPFields = [
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    /// `'self'` covers ws: of the same host in CSP Level 3; the explicit ws:/wss:
    /// sources are for browsers that predate it. A Host header that is not a plain
    /// `host[:port]` is left out rather than reflected into the policy.
    static func contentSecurityPolicy(host: String?) -> String {
        var connect = "'self'"
        if let host, !host.isEmpty, host.utf8.count <= 255,
           host.unicodeScalars.allSatisfy({ CharacterSet.hostCharacters.contains($0) }) {
            connect += " ws://\(host) wss://\(host)"
        }
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src \(connect); base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }
}

private extension CharacterSet {
    static var hostCharacters: CharacterSet { CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") }
}
