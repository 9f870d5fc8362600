import Foundation
import MulticaKit

/// The server, the token and the mapping of client errors to exit codes, shared by
/// every command that talks to a server.
enum API {
    static func server(_ context: CommandContext) throws -> ServerAddress {
        let raw = context.flags.string("server") ?? "http://127.0.0.1:8080"
        do { return try ServerAddress(raw) } catch { throw CLIError.usage(error.description) }
    }

    static func token(_ context: CommandContext) throws -> String {
        guard let token = context.flags.string("token")?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw CLIError.usage("no token: pass --token JWT or set MULTICA_TOKEN "
                + "(mint one with '\(CommandTable.programName) token mint --user ID -q')")
        }
        return token
    }

    static func client(_ context: CommandContext) throws -> MulticaClient {
        MulticaClient(server: try server(context), token: try token(context))
    }

    /// Exit 3 for an unreachable server, 2 for a bad URL, 1 for the rest, with the
    /// server's own reason.
    static func error(_ error: ClientError, token: String?) -> CLIError {
        switch error {
        case .unreachable, .timeout:
            return .unreachable(error.description)
        case .invalidURL(let message):
            return .usage(message)
        case .server(let status, let message):
            var text = "\(message) (HTTP \(status))"
            if status == 401, !message.contains("expired"), let note = TokenInspection.expiryNote(token) { text = "\(message): \(note) (HTTP 401)" }
            return .failure(text)
        case .protocolError(let message):
            return .failure(message)
        }
    }

    /// Runs `body`, turning `ClientError`s into exit codes.
    static func call<T>(_ context: CommandContext, _ body: () async throws(ClientError) -> T) async throws -> T {
        do { return try await body() } catch {
            throw API.error(error, token: context.flags.string("token"))
        }
    }
}

/// Plain column tables for terminals and pipes.
enum Table {
    static func render(_ header: [String], _ rows: [[String]], terminal: Terminal) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        return ([terminal.bold(line(header))] + rows.map(line)).joined(separator: "\n")
    }
}
