import Foundation
import Testing

@testable import MulticaKit

/// `/healthz`, `/readyz` and `/metrics`: the counters the issue names are exported in
/// Prometheus text, and no label carries a workspace or user id.
@Suite("Observability", .serialized)
struct ObservabilityTests {
    @Test func healthReadinessAndMetrics() async throws {
        try await LiveServer.with { server in
            #expect(try await server.http("GET", "/healthz").status == 200)
            let ready = try await server.http("GET", "/readyz")
            #expect(ready.status == 200)
            #expect(ready.text == #"{"status":"ready"}"#)

            let workspace = try await server.createWorkspace("Metrics", owner: "metrics-owner")
            let (socket, _) = try await server.joined("metrics-owner", workspace: workspace)
            _ = try await server.emit("probe:n", in: workspace, by: "metrics-owner")
            _ = try await socket.texts(1)
            _ = try? await server.socket("metrics-stranger", workspace: workspace)
            _ = try await server.joined("metrics-owner", workspace: workspace, since: 0)

            let metrics = try await server.http("GET", "/metrics")
            #expect(metrics.status == 200)
            let text = metrics.text
            for name in [
                "multica_open_sockets", "multica_events_published_total", "multica_frames_delivered_total",
                "multica_events_replayed_total", "multica_slow_consumer_evictions_total", "multica_upgrade_rejections_total",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
            #expect(text.contains(#"multica_upgrade_rejections_total{reason="not_member"}"#))
            // How well commits and drains coalesce: at least the emit's commit and drain.
            for name in ["multica_commits_total", "multica_units_committed_total", "multica_loop_drains_total"] {
                #expect((Self.value(of: name, in: text) ?? 0) >= 1, "\(name) not counted")
            }
            #expect(text.contains(#"family="custom""#))
            #expect(text.contains("/api/events"), "HTTP requests are counted by route")
            // Counted and timed by route, method and status, under Hummingbird's names.
            #expect(text.contains(#"hb_requests{http_route="/healthz",http_request_method="GET",http_response_status_code="200"}"#))
            #expect(text.contains(#"http_server_request_duration_count{http_route="/healthz",http_request_method="GET",http_response_status_code="200"}"#))
            #expect(text.contains(#"http_server_active_requests{http_request_method="GET"}"#))
            #expect(!text.contains(workspace), "a workspace id leaked into a label")
            #expect(!text.contains("metrics-owner"), "a user id leaked into a label")
            await socket.close()
        }
    }

    /// The value of an unlabelled metric in Prometheus text.
    private static func value(of name: String, in text: String) -> Double? {
        text.split(separator: "\n").lazy.compactMap { line -> Double? in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0] == name ? Double(parts[1]) : nil
        }.first
    }
}
