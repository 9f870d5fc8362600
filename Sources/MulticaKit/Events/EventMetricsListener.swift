import CoreMetrics

/// Counts published events by type family (`multica_events_published_total{family}`);
/// the family set is small and fixed for the catalog, and custom families are
/// folded into `custom` so a client cannot grow the label set.
public enum EventMetricsListener {
    public static func install(on bus: EventBus) {
        let counters = Dictionary(uniqueKeysWithValues: (EventType.reservedFamilies.union(["custom"])).map {
            ($0, Counter(label: "multica_events_published_total", dimensions: [("family", $0)]))
        })
        bus.subscribeAll(label: "metrics") { event in
            (counters[event.type.family] ?? counters["custom"])?.increment()
        }
    }
}
