import Foundation

/// Event-log append throughput: `events` synthetic events appended to a fresh SQLite
/// log (WAL, the server's settings) in units of work of `batchSize` events, each its own
/// transaction, with no HTTP and no sockets.
public enum AppendBench {
    public struct Report: Sendable, Codable, Equatable {
        public var events: Int
        public var batchSize: Int
        public var payloadBytes: Int
        public var seconds: Double
        public var eventsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case events, seconds
            case batchSize = "batch_size"
            case payloadBytes = "payload_bytes"
            case eventsPerSecond = "events_per_second"
        }
    }

    public static func run(events: Int, batchSize: Int = 1000, payloadBytes: Int = 200) throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-append-\(BenchSystem.randomHex(12))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("append.db").path)
        let backend = SQLiteRepository(database: database)
        let payload = RawJSONObject(trusted: Array(FanoutBench.payload(bytes: payloadBytes, sendTime: BenchSystem.monotonicNanos()).utf8))
        let type = EventType(rawValue: "bench:append")!
        var remaining = events
        let start = BenchSystem.monotonicNanos()
        while remaining > 0 {
            let n = min(batchSize, remaining)
            let batch = (0..<n).map { i in
                NewEvent(type: type, workspaceID: "ws_bench_\(i % 4)", actorType: .member, actorID: "usr_bench", payload: payload, synthetic: true)
            }
            let outcomes = try backend.run([{ unit in for event in batch { unit.append(event) }; return () }])
            if case .failed(let error) = outcomes[0] { throw error }
            remaining -= n
        }
        let seconds = Double(BenchSystem.monotonicNanos() - start) / 1e9
        return Report(events: events, batchSize: batchSize, payloadBytes: payloadBytes, seconds: seconds, eventsPerSecond: Double(events) / seconds)
    }
}
