import Foundation

/// What a command handler gets.
struct CommandContext: Sendable {
    var invocation: Invocation
    var environment: [String: String]
    var terminal: Terminal

    var flags: FlagValues { invocation.flags }
}

typealias CommandHandler = @Sendable (CommandContext) async throws -> Void

/// Maps a command (by `CommandSpec.name`) to its implementation. Commands of the
/// table without an entry here report that they are not implemented yet.
enum CommandRegistry {
    static let handlers: [String: CommandHandler] = [
        "token mint": TokenMintCommand.run,
        "token verify": TokenVerifyCommand.run,
        "serve": ServeCommand.run,
        "open": OpenCommand.run,
        "workspace create": WorkspaceCommands.create,
        "workspace list": WorkspaceCommands.list,
        "workspace show": WorkspaceCommands.show,
        "member add": MemberCommands.add,
        "member remove": MemberCommands.remove,
        "member list": MemberCommands.list,
        "emit event": EmitEventCommand.run,
        "tail": TailCommand.run,
        "events list": EventsListCommand.run,
        "verify isolation": VerifyIsolationCommand.run,
        "completion": CompletionCommand.run,
        "man": ManCommand.run,
        "bench fanout": BenchFanoutCommand.run,
    ]

    static func handler(for command: CommandSpec) -> CommandHandler {
        handlers[command.name] ?? NotImplementedCommand.run
    }
}
