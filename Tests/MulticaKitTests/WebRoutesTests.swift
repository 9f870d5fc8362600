import Foundation
import Testing

@testable import MulticaKit

/// SPEC §8: `GET /` serves the page and `/assets/<hash>/…` its modules, with a strict
/// CSP, nosniff, no-cache for the page and immutable, content-hashed assets.
@Suite("Web viewer routes", .serialized)
struct WebRoutesTests {
    @Test func pageHasStrictHeadersAndHashedAssetURLs() async throws {
        try await LiveServer.with { server in
            let page = try await server.http("GET", "/")
            #expect(page.status == 200)
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.header("cache-control") == "no-cache")
            #expect(page.header("x-content-type-options") == "nosniff")
            let csp = try #require(page.header("content-security-policy"))
            #expect(csp.contains("default-src 'none'"))
            #expect(csp.contains("script-src 'self';"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(!csp.contains("unsafe-eval"))
            #expect(csp.contains("connect-src 'self' ws://127.0.0.1:\(server.port) wss://127.0.0.1:\(server.port);"))
            #expect(csp.contains("frame-ancestors 'none'"))
            let hash = WebAssets.embedded.hash
            #expect(page.text.contains(#"<script type="module" src="/assets/\#(hash)/app.js"></script>"#))
            #expect(page.text.contains(#"href="/assets/\#(hash)/style.css""#))
            #expect(!page.text.contains("{{ASSETS}}"))
            // No inline script at all: every <script> has a src.
            #expect(page.text.components(separatedBy: "<script").count - 1 == page.text.components(separatedBy: "<script type=\"module\" src=").count - 1)

            let etag = try #require(page.header("etag"))
            #expect(try await server.http("GET", "/", headers: ["If-None-Match": etag]).status == 304)
        }
    }

    @Test func everyModuleAndImportIsServedImmutable() async throws {
        try await LiveServer.with { server in
            let hash = WebAssets.embedded.hash
            var pending = ["app.js", "style.css"]
            var seen: Set<String> = []
            while let name = pending.popLast() {
                guard seen.insert(name).inserted else { continue }
                let asset = try await server.http("GET", "/assets/\(hash)/\(name)")
                #expect(asset.status == 200, "\(name)")
                #expect(asset.header("cache-control") == "public, max-age=31536000, immutable")
                #expect(asset.header("x-content-type-options") == "nosniff")
                #expect(asset.header("content-type") == (name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8"))
                // Follow the relative ES-module imports: each must resolve under the same hash.
                for line in asset.text.split(separator: "\n") where line.hasPrefix("import ") {
                    if let from = line.range(of: "from './") {
                        let rest = line[from.upperBound...]
                        pending.append(String(rest.prefix { $0 != "'" }))
                    }
                }
            }
            #expect(seen.isSuperset(of: ["app.js", "api.js", "store.js", "live.js", "views.js", "style.css"]))
            #expect(seen == Set(WebAssets.embedded.names), "an embedded file is unreachable from the page, or missing")

            #expect(try await server.http("GET", "/assets/0000000000000000/app.js").status == 404)
            #expect(try await server.http("GET", "/assets/\(hash)/nope.js").status == 404)
            #expect(try await server.http("GET", "/assets/\(hash)/index.html").status == 404)
        }
    }

    @Test func hostHeaderIsNotReflectedUnlessPlain() {
        #expect(WebRoutes.contentSecurityPolicy(host: "evil.example; script-src *").contains("connect-src 'self';"))
        #expect(WebRoutes.contentSecurityPolicy(host: nil).contains("connect-src 'self';"))
        #expect(WebRoutes.contentSecurityPolicy(host: "[::1]:8080").contains("ws://[::1]:8080"))
    }
}
