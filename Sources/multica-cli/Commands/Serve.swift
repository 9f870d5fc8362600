import Foundation
import Logging
import MulticaKit

/// `multica serve`: migrate, listen, print how to get started, run until SIGINT/SIGTERM.
enum ServeCommand {
    static func run(_ context: CommandContext) async throws {
        EventLoopSizing.fitToProcessorAffinity(environment: context.environment)
        let flags = context.flags
        let listen = flags.string("listen") ?? "127.0.0.1:8080"
        guard let (host, port) = ServerConfiguration.parseListen(listen) else {
            throw CLIError.usage("invalid value '\(listen)' for --listen: expected HOST:PORT")
        }
        let database = try Self.database(flags.string("db"), environment: context.environment)
        let level = Logger.Level(rawValue: flags.string("log-level") ?? "info") ?? .info
        let json = flags.string("log-format") == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : TextLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let secret: [UInt8]
        do {
            secret = try SecretResolver.resolve(environment: context.environment, createIfMissing: true)
        } catch {
            throw CLIError.failure(error.description)
        }
        var sockets = SocketSettings()
        if let queue = flags.int("send-queue") { sockets.sendQueueLimit = queue }
        if let echo = context.environment[EchoMode.environmentVariable], !echo.isEmpty {
            guard echo == "1" else { throw CLIError.usage("invalid \(EchoMode.environmentVariable) '\(echo)': expected 1") }
            EchoMode.apply(to: &sockets)
        }
        var base = ServerConfiguration(
            host: host, port: port, databasePath: ServerConfiguration.defaultDatabasePath(environment: context.environment),
            jwtSecret: secret,
            allowedOrigins: flags.strings("allowed-origin"),
            retainAge: flags.seconds("retain").map { .seconds($0) },
            retainCount: flags.int("retain-count"),
            sockets: sockets, logLevel: level
        )
        base.database = database
        var configuration = base
        if let fault = context.environment[RoutingFault.environmentVariable], !fault.isEmpty {
            guard let parsed = RoutingFault(rawValue: fault) else {
                throw CLIError.usage("invalid \(RoutingFault.environmentVariable) '\(fault)': expected one of "
                    + RoutingFault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.routingFault = parsed
        }
        let server: MulticaServer
        do {
            server = try await MulticaServer.open(configuration: configuration, logger: Logger(label: "multica"))
        } catch {
            throw CLIError.failure("cannot open database \(database): \(error)")
        }
        do {
            try await server.run(handleSignals: true) { boundPort in
                Terminal.err("multica \(MulticaKitVersion.string) listening on http://\(host):\(boundPort)")
                Terminal.err("database: \(database)")
                Terminal.err("get a token: multica token mint --user you@example.com")
            }
        } catch {
            throw CLIError.failure("cannot listen on \(listen): \(Self.describe(error))")
        }
    }

    /// `--db`, else `MULTICA_DATABASE_URL`, else the default SQLite file. A malformed
    /// PostgreSQL URL is a usage error whose message never repeats the password.
    static func database(_ flag: String?, environment: [String: String]) throws -> DatabaseLocation {
        let fromEnvironment = environment[DatabaseLocation.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let value = flag ?? fromEnvironment else {
            return .sqlite(path: ServerConfiguration.defaultDatabasePath(environment: environment))
        }
        do {
            return try DatabaseLocation.parse(value)
        } catch let error as DatabaseLocationError {
            let source = flag == nil ? DatabaseLocation.environmentVariable : "--db"
            throw CLIError.usage("\(source): \(error.reason)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("Address already in use") || text.contains("EADDRINUSE") { return "address already in use" }
        return text
    }
}
