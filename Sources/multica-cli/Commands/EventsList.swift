import Foundation
import MulticaKit

/// `events list --workspace W [--since SEQ] [--limit N] [--type GLOB]`
enum EventsListCommand {
    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let workspace = flags.string("workspace") ?? ""
        guard !workspace.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError.usage("invalid value '\(workspace)' for --workspace: must not be blank")
        }
        let client = try API.client(context)
        let t = context.terminal
        let json = flags.bool("json")
        Interrupt.exitOnSIGINT()
        try await API.call(context) { () async throws(ClientError) in
            try await EventHistory(client: client).read(
                workspaceID: workspace, since: Int64(flags.int("since") ?? 0), limit: flags.int("limit"),
                filter: TypeFilter(flags.strings("type")),
                gap: { from, to in
                    Terminal.err("warning: events \(from)…\(to) are no longer retained; listing from seq \(to + 1)")
                },
                event: { event in
                    if json { t.outLine(event.raw) } else { t.out(EventRendering.line(event, terminal: t)) }
                })
        }
    }
}
