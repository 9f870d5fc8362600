import Foundation
import MulticaKit

@main
struct MulticaCLI {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        let arguments = Array(CommandLine.arguments.dropFirst())
        let code = await run(arguments, environment: environment)
        exit(code.rawValue)
    }

    static func run(_ arguments: [String], environment: [String: String]) async -> ExitCode {
        do {
            switch try Parser.parse(arguments, environment: environment) {
            case .version:
                Terminal(colorMode: "never", environment: environment)
                    .out("\(CommandTable.programName) \(MulticaKitVersion.string)")
            case .help(let topic, let flags):
                let terminal = Terminal(colorMode: flags.string("color"), environment: environment)
                terminal.out(Help.render(topic, terminal: terminal))
            case .run(let invocation):
                let terminal = Terminal(colorMode: invocation.flags.string("color"), environment: environment)
                let context = CommandContext(invocation: invocation, environment: environment, terminal: terminal)
                try await CommandRegistry.handler(for: invocation.command)(context)
            }
            return .success
        } catch let error as CLIError {
            Terminal.err("\(CommandTable.programName): \(error.message)")
            return error.code
        } catch {
            Terminal.err("\(CommandTable.programName): \(error)")
            return .failure
        }
    }
}
