import Foundation
import MulticaKit

/// `multica open [--workspace W] [--user ID]`: mints a token (as `token mint`) and
/// prints the viewer's address with it in the fragment; on a desktop (DISPLAY or
/// WAYLAND_DISPLAY set and `xdg-open` on PATH) also opens it, without waiting for
/// the browser. The URL goes to stdout; the hint goes to stderr.
enum OpenCommand {
    static let ttl = 86_400

    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let server = try API.server(context)
        let user = flags.string("user") ?? defaultUser(context.environment)
        guard !user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError.usage("invalid value '\(user)' for --user: must not be blank")
        }
        let workspace = flags.string("workspace")
        if let workspace, workspace.trimmingCharacters(in: .whitespaces).isEmpty {
            throw CLIError.usage("invalid value '' for --workspace: must not be blank")
        }
        let service = try TokenServiceFactory.make(environment: context.environment, createSecret: true)
        let now = Date(timeIntervalSince1970: Double(Int64(Date().timeIntervalSince1970)))
        let claims = TokenClaims(subject: user, expiresAt: now.addingTimeInterval(Double(ttl)), issuedAt: now)
        let token: String
        do {
            token = try await service.mint(claims)
        } catch {
            throw CLIError.failure("cannot sign token: \(error)")
        }
        let url = ViewerLink.url(server: server, token: token, workspace: workspace)
        let opener = desktopOpener(context.environment)
        if flags.bool("json") {
            context.terminal.out(ClaimsJSON.render(claims, extra: [
                "url": .string(url), "token": .string(token), "workspace": workspace.map(JSONValue.string) ?? .null,
                "opened": .bool(opener != nil),
            ]))
        } else {
            context.terminal.out(url)
        }
        if let opener {
            launch(opener, url)
            Terminal.err("opened the viewer as \(user) (token valid for 24h)")
        } else {
            Terminal.err("open this address in a browser (signed in as \(user), valid for 24h)")
        }
    }

    /// `$USER`, else `admin`: the local user is who runs `open` on their own server.
    static func defaultUser(_ environment: [String: String]) -> String {
        let user = environment["USER"]?.trimmingCharacters(in: .whitespaces) ?? ""
        return user.isEmpty ? "admin" : user
    }

    /// The `xdg-open` to run when a graphical session is present, else nil.
    static func desktopOpener(_ environment: [String: String]) -> String? {
        let display = [environment["DISPLAY"], environment["WAYLAND_DISPLAY"]].contains { !($0 ?? "").isEmpty }
        guard display else { return nil }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/xdg-open"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts the opener detached from our output; a failure to start it is only reported.
    private static func launch(_ opener: String, _ url: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [url]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { Terminal.err("cannot run \(opener): \(error)") }
    }
}
