import Foundation
import MulticaKit

/// `emit event TYPE --workspace W [--payload JSON|@FILE|-] [--count N] [--rate R] [--via ws|http]`
enum EmitEventCommand {
    static let maxPayloadBytes = 64 * 1024

    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let type = try eventType(context.invocation.positionals[0])
        let workspace = flags.string("workspace") ?? ""
        guard !workspace.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError.usage("invalid value '\(workspace)' for --workspace: must not be blank")
        }
        var payload: RawJSONObject? = nil
        if let source = flags.string("payload") {
            payload = try readPayload(source)
        } else if !type.isCatalog {
            throw CLIError.usage("custom type '\(type)' needs --payload JSON|@FILE|- (payloads are generated only for catalog types)"
                + Suggest.clause(type.rawValue, among: EventType.catalog.map(\.rawValue)))
        }
        let count = flags.int("count") ?? 1
        let client = try API.client(context)
        let plan = Emitter.Plan(
            type: type, workspaceID: workspace, count: count, rate: flags.int("rate"), payload: payload,
            recipientID: TokenInspection.unverifiedClaims(client.http.token ?? "")?.subject,
            transport: Emitter.Transport(rawValue: flags.string("via") ?? "ws") ?? .ws
        )

        let t = context.terminal
        let json = flags.bool("json")
        let showProgress = t.stderrIsTTY && count > 1
        var lastProgress = ContinuousClock.now - .seconds(1)
        let summary = await Emitter(client: client).run(plan, published: { batch in
            if json {
                var out: [UInt8] = []
                for event in batch { out.append(contentsOf: event.raw); out.append(0x0A) }
                FileHandle.standardOutput.write(Data(out))
            } else {
                t.out(batch.map { String($0.value.seq) }.joined(separator: "\n"))
            }
        }, progress: { summary in
            guard showProgress, ContinuousClock.now - lastProgress >= .milliseconds(100) else { return }
            lastProgress = ContinuousClock.now
            Terminal.progress("sent \(summary.sent)/\(count), failed \(summary.failed) (\(format(summary.rate))/s)")
        })
        if showProgress { Terminal.progress("") }
        let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
        Terminal.err("sent \(summary.sent), failed \(summary.failed) in \(String(format: "%.2f", seconds))s (\(format(summary.rate)) events/s)")
        if let error = summary.error { throw API.error(error, token: flags.string("token")) }
        if summary.failed > 0 {
            let reason = summary.lastFailure.map { ": last failure: \($0)" } ?? ""
            throw CLIError.failure("\(summary.failed) of \(count) events were not published\(reason)")
        }
    }

    static func format(_ rate: Double) -> String { String(format: rate >= 100 ? "%.0f" : "%.1f", rate) }

    /// A catalog type or a well-formed custom type; anything else is a usage error with
    /// the nearest catalog type as a suggestion.
    static func eventType(_ raw: String) throws -> EventType {
        if let type = EventType(rawValue: raw) { return type }
        let names = EventType.catalog.map(\.rawValue)
        let suggestion = Suggest.clause(raw, among: names)
        let family = raw.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        if raw.contains(":"), EventType.reservedFamilies.contains(family) {
            let siblings = names.filter { $0.hasPrefix(family + ":") }.joined(separator: ", ")
            throw CLIError.usage("unknown event type '\(raw)': the '\(family)' family has only \(siblings)"
                + (suggestion.isEmpty ? "" : suggestion))
        }
        throw CLIError.usage("invalid event type '\(raw)': expected a catalog type or a custom type family:name ([a-z0-9_])"
            + (suggestion.isEmpty ? "; see '\(CommandTable.programName) help emit event'" : suggestion))
    }

    /// `--payload JSON`, `@FILE` or `-` (stdin), validated as one JSON object.
    static func readPayload(_ source: String) throws -> RawJSONObject {
        let bytes: [UInt8]
        let origin: String
        if source == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            origin = "--payload (stdin)"
        } else if source.hasPrefix("@") {
            let path = String(source.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
                throw CLIError.usage("cannot read payload file '\(path)': \(reason)")
            }
            bytes = Array(data)
            origin = "--payload file '\(path)'"
        } else {
            bytes = Array(source.utf8)
            origin = "--payload"
        }
        let payload: RawJSONObject
        do { payload = try RawJSONObject(validating: bytes) } catch {
            throw CLIError.usage("invalid JSON in \(origin): \(error.message) at line \(error.line), column \(error.column)")
        }
        guard payload.bytes.count <= maxPayloadBytes else {
            throw CLIError.usage("payload too large: \(payload.bytes.count) bytes, at most \(maxPayloadBytes) are accepted")
        }
        return payload
    }
}
