import Foundation
import MulticaKit

/// `multica token mint --user ID [--email E] [--name N] [--ttl DURATION] [--admin] [-q]`
enum TokenMintCommand {
    static func run(_ context: CommandContext) async throws {
        let flags = context.flags
        let user = flags.string("user") ?? ""
        guard !user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError.usage("invalid value '\(user)' for --user: must not be blank")
        }
        let ttl = flags.seconds("ttl") ?? 86_400
        guard ttl > 0 else {
            throw CLIError.usage("invalid duration '\(flags.string("ttl") ?? "")' for --ttl: must be longer than 0s")
        }

        let service = try TokenServiceFactory.make(environment: context.environment, createSecret: true)
        let now = Date(timeIntervalSince1970: Double(Int64(Date().timeIntervalSince1970)))
        let claims = TokenClaims(
            subject: user,
            expiresAt: now.addingTimeInterval(Double(ttl)),
            issuedAt: now,
            email: flags.string("email"),
            name: flags.string("name"),
            isAdmin: flags.bool("admin")
        )
        let token: String
        do {
            token = try await service.mint(claims)
        } catch {
            throw CLIError.failure("cannot sign token: \(error)")
        }

        let t = context.terminal
        if flags.bool("quiet") {
            t.out(token)
        } else if flags.bool("json") {
            t.out(ClaimsJSON.render(claims, extra: ["token": .string(token)]))
        } else if !t.stdoutIsTTY {
            t.out(token)
        } else {
            t.out(token)
            t.out(t.dim("subject: \(claims.subject)"))
            t.out(t.dim("expires: \(Timestamp.format(claims.expiresAt)) (in \(DurationParser.format(ttl)))"))
        }
    }
}

/// Builds a `TokenService` from the configured secret, turning problems into exit 1.
enum TokenServiceFactory {
    static func make(environment: [String: String], createSecret: Bool) throws -> TokenService {
        do {
            let secret = try SecretResolver.resolve(environment: environment, createIfMissing: createSecret)
            return try TokenService(secret: secret)
        } catch {
            throw CLIError.failure(error.description)
        }
    }
}

/// Claims as one JSON object: sub, email, name, adm, iat, exp (seconds), keys sorted.
enum ClaimsJSON {
    static func render(_ claims: TokenClaims, extra: [String: JSONValue] = [:]) -> String {
        var object: [String: JSONValue] = [
            "sub": .string(claims.subject),
            "email": claims.email.map(JSONValue.string) ?? .null,
            "name": claims.name.map(JSONValue.string) ?? .null,
            "adm": .bool(claims.isAdmin),
            "iat": claims.issuedAt.map { .int(Int64($0.timeIntervalSince1970.rounded(.down))) } ?? .null,
            "exp": .int(Int64(claims.expiresAt.timeIntervalSince1970.rounded(.down))),
        ]
        object.merge(extra) { _, new in new }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(JSONValue.object(object)) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
