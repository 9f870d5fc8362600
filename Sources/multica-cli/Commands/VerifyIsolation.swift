import Foundation
import MulticaKit

/// `verify isolation [--server URL]... [--workspaces N] [--clients N] [--events N]`
enum VerifyIsolationCommand {
    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let clients = flags.int("clients") ?? 2
        guard clients >= 2 else {
            throw CLIError.usage("invalid value '\(clients)' for --clients: must be at least 2 (isolation needs two sockets per workspace)")
        }
        let options = IsolationVerifier.Options(
            workspaces: flags.int("workspaces") ?? 3, clients: clients, events: flags.int("events") ?? 50)
        let target: IsolationVerifier.Target
        let raws = flags.strings("server")
        if !raws.isEmpty {
            var addresses: [ServerAddress] = []
            for raw in raws {
                do { addresses.append(try ServerAddress(raw)) } catch { throw CLIError.usage(error.description) }
            }
            do { target = .servers(addresses, secret: try IsolationVerifier.resolveSecret(environment: context.environment)) } catch {
                throw CLIError.failure(error.description)
            }
        } else {
            target = .embedded
        }

        let t = context.terminal
        let chatty = t.stderrIsTTY
        let report: IsolationReport
        do {
            report = try await IsolationVerifier(target: target, options: options).run(progress: { line in
                if chatty { Terminal.err(t.dim("· \(line)")) }
            })
        } catch {
            throw error.isUnreachable ? CLIError.unreachable(error.description) : CLIError.failure(error.description)
        }

        if flags.bool("json") {
            t.out(report.json())
        } else {
            t.out(table(report, terminal: t))
            let passed = report.checks.count - report.failures.count
            let summary = "\(passed) of \(report.checks.count) checks passed against \(report.embedded ? "an embedded server" : report.server)"
                + " (\(report.workspaces) workspaces × \(report.clientsPerWorkspace) clients, \(report.eventsPerWorkspace) events each,"
                + " \(String(format: "%.1f", Double(report.durationMilliseconds) / 1000))s)"
            t.out(report.passed ? summary : t.red(summary))
        }
        guard report.passed else {
            for failure in report.failures {
                Terminal.err("\(CommandTable.programName): isolation check failed: \(failure.name): \(failure.detail)")
            }
            throw CLIError.failure("isolation violated: \(report.failures.count) of \(report.checks.count) checks failed")
        }
    }

    /// CHECK, RESULT (✓ green / ✗ red on a colour terminal), DETAIL; widths from the plain text.
    static func table(_ report: IsolationReport, terminal t: Terminal) -> String {
        let header = ["CHECK", "RESULT", "DETAIL"]
        let nameWidth = max(header[0].count, report.checks.map(\.name.count).max() ?? 0)
        let resultWidth = header[1].count
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var lines = [t.bold(pad(header[0], nameWidth) + "  " + pad(header[1], resultWidth) + "  " + header[2])]
        for check in report.checks {
            let mark = check.passed ? t.green("✓") : t.red("✗")
            lines.append(pad(check.name, nameWidth) + "  " + mark + String(repeating: " ", count: resultWidth - 1) + "  " + check.detail)
        }
        return lines.joined(separator: "\n")
    }
}
