/// Stand-in for every command of the table that has no implementation yet.
enum NotImplementedCommand {
    static func run(_ context: CommandContext) async throws {
        throw CLIError.failure("'\(context.invocation.command.name)' is not implemented yet")
    }
}
