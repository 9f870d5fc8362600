import Foundation
import Testing

/// `bench fanout` is measured, not asserted; this only proves that a tiny run in
/// spawn mode completes with no loss and prints every figure of its JSON report.
@Suite struct BenchFanoutTests {
    @Test func tinySpawnedRunHasNoLossAndEveryKey() async throws {
        let r = try await CLI.run(
            ["bench", "fanout", "--connections", "4", "--workspaces", "2", "--events", "20", "--json"],
            timeout: .seconds(60)
        )
        #expect(r.code == 0, "stderr: \(r.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "stdout: \(r.stdout)"
        )
        #expect(object["lost"] as? Int == 0)
        #expect(object["duplicates"] as? Int == 0)
        #expect(object["expected"] as? Int == 40)
        #expect(object["delivered"] as? Int == 40)
        #expect(object["spawned"] as? Bool == true)
        for key in ["connect_seconds", "connects_per_second", "delivered_per_second", "latency_p50_ms", "latency_p90_ms",
                    "latency_p99_ms", "latency_max_ms", "server_cpu_per_message_us", "server_rss_per_socket_kib",
                    "bench_cpu_per_message_us"] {
            #expect(object[key] is NSNumber, "missing \(key)")
        }
    }
}
