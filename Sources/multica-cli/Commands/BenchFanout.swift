import Foundation
import MulticaKit

/// `multica bench fanout [--server URL] [--server-pid PID] [--connections N] [--workspaces N]
/// [--events N] [--rate R] [--payload-bytes B] [--append-only] [--json]`
enum BenchFanoutCommand {
    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let t = context.terminal
        let json = flags.bool("json")
        if flags.bool("append-only") {
            let events = flags.isExplicit("events") ? flags.int("events") ?? 100_000 : 100_000
            let report: AppendBench.Report
            do {
                report = try AppendBench.run(events: events, payloadBytes: flags.int("payload-bytes") ?? 200)
            } catch {
                throw CLIError.failure("append bench failed: \(error)")
            }
            if json {
                t.out(encode(report))
            } else {
                t.out("appended \(report.events) events in batches of \(report.batchSize): "
                      + "\(fmt(report.seconds, 3)) s, \(t.bold(fmt(report.eventsPerSecond, 0))) events/s")
            }
            return
        }

        var options = FanoutBenchOptions(
            server: flags.string("server"), serverPID: flags.int("server-pid").map { Int32($0) },
            connections: flags.int("connections") ?? 100, workspaces: flags.int("workspaces") ?? 10,
            events: flags.int("events") ?? 1000, rate: flags.int("rate"), payloadBytes: flags.int("payload-bytes") ?? 256,
            environment: context.environment
        )
        options.workspaces = min(options.workspaces, options.connections)
        options.publishServer = flags.string("publish-server")
        options.transport = Emitter.Transport(rawValue: flags.string("via") ?? "ws") ?? .ws
        if let raw = context.environment["MULTICA_BENCH_CONNECT_CONCURRENCY"], let n = Int(raw), n > 0 {
            options.connectConcurrency = n
        }
        let showProgress = isatty(STDERR_FILENO) == 1
        let report: FanoutBenchReport
        do {
            report = try await FanoutBench.run(options) { line in
                guard showProgress else { return }
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            }
        } catch let failure as FanoutBench.Failure {
            throw failure.unreachable ? CLIError.unreachable(failure.description) : CLIError.failure(failure.description)
        }

        if json {
            t.out(encode(report))
        } else {
            render(report, t)
        }
        if report.lost > 0 || report.duplicates > 0 {
            throw CLIError.failure("\(report.lost) of \(report.expected) deliveries lost, \(report.duplicates) duplicated")
        }
    }

    private static func render(_ r: FanoutBenchReport, _ t: Terminal) {
        let pacing = r.rate.map { "\($0) events/s" } ?? "unpaced, batched"
        t.out(t.bold("bench fanout") + t.dim(" — \(r.server), \(r.connections) sockets over \(r.workspaces) workspaces, "
            + "\(r.events) events of \(r.payloadBytes) B, \(pacing)"))
        var rows: [(String, String)] = [
            ("connect", "\(fmt(r.connectSeconds, 3)) s (\(fmt(r.connectsPerSecond, 0)) sockets/s)"),
            ("published", "\(r.published) events in \(fmt(r.publishSeconds, 3)) s"),
            ("delivered", "\(r.delivered)/\(r.expected) in \(fmt(r.deliverySeconds, 3)) s — \(t.bold(fmt(r.deliveredPerSecond, 0))) msg/s"),
            ("loss", r.lost == 0 && r.duplicates == 0 ? t.green("0") : "\(r.lost) lost, \(r.duplicates) duplicates"),
            ("latency", "p50 \(fmt(r.latencyP50Ms, 2)) ms  p90 \(fmt(r.latencyP90Ms, 2)) ms  p99 \(fmt(r.latencyP99Ms, 2)) ms  max \(fmt(r.latencyMaxMs, 2)) ms"),
        ]
        if r.unexpected > 0 || r.closedEarly > 0 { rows.append(("anomalies", "\(r.unexpected) unexpected frames, \(r.closedEarly) sockets closed by the server")) }
        if let cpu = r.serverCPUPerMessageUs { rows.append(("server cpu", "\(t.bold(fmt(cpu, 3))) µs/msg (\(fmt(r.serverCPUSeconds ?? 0, 2)) s)")) }
        if let rss = r.serverRSSPerSocketKiB { rows.append(("server rss", "\(fmt(rss, 1)) KiB/socket (\(r.serverRSSBeforeKiB ?? 0) → \(r.serverRSSAfterKiB ?? 0) KiB)")) }
        rows.append(("bench cpu", "\(fmt(r.benchCPUPerMessageUs, 3)) µs/msg"))
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { t.out("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
    }

    private static func fmt(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    private static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
