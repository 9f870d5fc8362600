import CoreMetrics
import Prometheus
import Synchronization

/// The process's Prometheus registry, bootstrapped into swift-metrics once.
///
/// swift-metrics allows one bootstrap per process; servers started later in the same
/// process (tests, `verify isolation`'s embedded server) share this registry, so their
/// counters add up. Labels never carry workspace or user ids.
public final class MetricsRegistry: Sendable {
    public static let shared = MetricsRegistry()

    private let registry = PrometheusCollectorRegistry()

    private init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Hummingbird's labels use dots; Prometheus wants underscores.
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitize(name), labels.map { (Self.sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
    }

    private static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
