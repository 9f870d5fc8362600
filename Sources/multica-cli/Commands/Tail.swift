import Dispatch
import Foundation
import MulticaKit

/// `tail --workspace W [--since SEQ|--from-start] [--type GLOB]... [--count N] [--json] [--no-reconnect]`
enum TailCommand {
    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let workspace = flags.string("workspace") ?? ""
        guard !workspace.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError.usage("invalid value '\(workspace)' for --workspace: must not be blank")
        }
        if flags.isExplicit("since"), flags.bool("from-start") {
            throw CLIError.usage("--since and --from-start cannot be used together for 'tail'")
        }
        let since: Int64? = flags.bool("from-start") ? 0 : flags.int("since").map(Int64.init)
        let server = try API.server(context)
        let token = try API.token(context)
        let options = Tailer.Options(
            workspaceID: workspace, since: since, filter: TypeFilter(flags.strings("type")),
            count: flags.int("count"), reconnect: !flags.bool("no-reconnect"))

        Interrupt.exitOnSIGINT()
        let t = context.terminal
        let json = flags.bool("json")
        let chatty = t.stderrIsTTY
        do {
            try await Tailer(server: server, token: token, options: options).run(event: { event in
                if json { t.outLine(event.raw) } else { t.out(EventRendering.line(event, terminal: t)) }
            }, notice: { notice in
                switch notice {
                case .connected(let hello, let resumeFrom, let reconnected):
                    if reconnected {
                        Terminal.err("reconnected to \(workspace); resuming after seq \(resumeFrom.map(String.init) ?? "\(hello.headSeq)")")
                    } else if chatty {
                        let replay = resumeFrom.map { " replaying after seq \($0)," } ?? ""
                        Terminal.err("tailing \(workspace) as \(hello.userID) (head seq \(hello.headSeq),\(replay) Ctrl-C to stop)")
                    }
                case .notRecovered(let hello, let since):
                    Terminal.err("warning: events after seq \(since.map(String.init) ?? "?") are no longer all retained; "
                        + "the replay starts at the oldest retained event (head seq \(hello.headSeq))")
                case .reconnecting(let delay, let attempt, let reason, let resumeFrom):
                    let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                    Terminal.err("\(reason); reconnecting in \(String(format: "%.1f", seconds))s (attempt \(attempt))"
                        + (resumeFrom.map { ", resuming after seq \($0)" } ?? ""))
                }
            })
        } catch {
            switch error {
            case .unreachable(let clientError): throw API.error(clientError, token: token)
            case .other(let clientError): throw API.error(clientError, token: token)
            case .refused(let status, let message):
                throw API.error(.server(status: status, message: message), token: token)
            case .membershipRevoked: throw CLIError.failure("membership revoked: you were removed from workspace \(workspace)")
            case .tokenExpired: throw CLIError.failure("token expired while tailing (close code 4001); mint a new one")
            case .disconnected(let closure): throw CLIError.failure("connection closed (\(closure))")
            }
        }
    }
}

/// Ctrl-C ends a long-running command at once with status 130.
enum Interrupt {
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?

    static func exitOnSIGINT() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("\n".utf8))
            exit(130)
        }
        source.resume()
        Self.source = source
    }
}
