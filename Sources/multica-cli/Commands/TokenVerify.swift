import Foundation
import MulticaKit

/// `multica token verify TOKEN|-`
enum TokenVerifyCommand {
    static func run(_ context: CommandContext) async throws {
        var raw = context.invocation.positionals.first ?? ""
        if raw == "-" {
            raw = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let token = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CLIError.failure("invalid token: empty token") }

        // Verifying never creates a secret: a fresh random one could not match any token.
        let service = try TokenServiceFactory.make(environment: context.environment, createSecret: false)
        let claims: TokenClaims
        do {
            claims = try await service.verify(token)
        } catch {
            throw CLIError.failure("invalid token: \(error.description)")
        }

        let t = context.terminal
        if context.flags.bool("json") {
            t.out(ClaimsJSON.render(claims))
            return
        }
        let left = claims.expiresAt.timeIntervalSinceNow
        t.out("sub:   \(claims.subject)")
        t.out("email: \(claims.email ?? "-")")
        t.out("name:  \(claims.name ?? "-")")
        t.out("admin: \(claims.isAdmin)")
        t.out("iat:   \(claims.issuedAt.map(Timestamp.format) ?? "-")")
        t.out("exp:   \(Timestamp.format(claims.expiresAt)) (in \(DurationParser.format(max(1, Int64(left)))))")
        t.out(t.green("valid"))
    }
}
