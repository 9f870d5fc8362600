/// Turns `argv` into an `Invocation` using `CommandTable` alone.
///
/// Rules: `--flag value`, `--flag=value`, `-x value`, booleans without a value (or
/// `--flag=true|false`), `--` ends the options, repeatable flags collect every value,
/// a non-repeatable flag given twice is an error, global flags go anywhere before `--`,
/// unset flags fall back to their environment variable and then their default, and
/// `-h`/`--help` anywhere before `--` asks for help (and wins over other mistakes).

/// Values of every flag after environment variables and defaults were applied.
struct FlagValues: Sendable, Equatable {
    /// Raw values by long flag name (booleans are "true"/"false"), validated against the table.
    var values: [String: [String]] = [:]
    /// Flags given on the command line (not from environment or default).
    var explicit: Set<String> = []

    func string(_ name: String) -> String? { values[name]?.last }
    func strings(_ name: String) -> [String] { values[name] ?? [] }
    func bool(_ name: String) -> Bool { values[name]?.last == "true" }
    func int(_ name: String) -> Int? { values[name]?.last.flatMap { Int($0) } }
    /// A `duration` flag in seconds.
    func seconds(_ name: String) -> Int64? { values[name]?.last.flatMap(DurationParser.seconds) }
    func isExplicit(_ name: String) -> Bool { explicit.contains(name) }
}

struct Invocation: Sendable, Equatable {
    var command: CommandSpec
    var positionals: [String]
    var flags: FlagValues
}

enum HelpTopic: Sendable, Equatable {
    case topLevel
    /// A command word with subcommands, such as `token`.
    case group([String])
    case command(CommandSpec)
}

enum ParseResult: Sendable, Equatable {
    case run(Invocation)
    case help(HelpTopic, flags: FlagValues)
    case version
}

enum Parser {
    static func parse(_ arguments: [String], environment: [String: String]) throws(CLIError) -> ParseResult {
        var path: [String] = []
        var command: CommandSpec? = nil
        var helpMode = false
        var wantsHelp = false
        var endOfOptions = false
        var given: [(FlagSpec, String)] = []
        var positionals: [String] = []
        var firstError: CLIError? = nil
        func fail(_ error: CLIError) { if firstError == nil { firstError = error } }

        var index = 0
        while index < arguments.count {
            let arg = arguments[index]
            index += 1
            if !endOfOptions, arg == "--" { endOfOptions = true; continue }

            if !endOfOptions, arg.hasPrefix("-"), arg != "-" {
                if arg == "--version", path.isEmpty, !helpMode { return .version }
                let available = command.map { CommandTable.flags(for: $0) } ?? CommandTable.globalFlags
                let (spelled, inline) = split(arg)
                let flag: FlagSpec?
                if spelled.hasPrefix("--") {
                    let name = String(spelled.dropFirst(2))
                    flag = available.first { $0.name == name }
                } else {
                    let body = spelled.dropFirst()
                    flag = body.count == 1 ? available.first { $0.short == body.first } : nil
                }
                guard let flag else {
                    var names = available.map(\.longForm) + available.compactMap { $0.short.map { "-\($0)" } }
                    if path.isEmpty { names.append("--version") }
                    fail(.usage("unknown flag '\(spelled)'\(context(command, path))"
                        + hint(spelled, among: names, command: command, path: path)))
                    continue
                }
                if flag.name == CommandTable.help.name { wantsHelp = true; continue }
                if !flag.takesValue {
                    given.append((flag, inline ?? "true"))
                    continue
                }
                if let inline {
                    given.append((flag, inline))
                } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                    given.append((flag, arguments[index]))
                    index += 1
                } else {
                    fail(.usage("flag '\(flag.longForm)' needs a value (\(flag.valueName))\(context(command, path))"))
                }
                continue
            }

            if command == nil {
                if path.isEmpty, !helpMode, arg == "help" { helpMode = true; continue }
                path.append(arg)
                if CommandTable.commands(under: path).isEmpty {
                    let parent = Array(path.dropLast())
                    var names: [String] = []
                    for c in CommandTable.commands(under: parent) {
                        let name = c.path.prefix(path.count).joined(separator: " ")
                        if !names.contains(name) { names.append(name) }
                    }
                    if parent.isEmpty { names.append("help") }
                    let typed = path.joined(separator: " ")
                    throw firstError ?? .usage("unknown command '\(typed)'"
                        + (Suggest.nearest(typed, among: names).map { "; did you mean '\($0)'?" }
                            ?? "; see '\(CommandTable.programName) help'"))
                }
                command = CommandTable.command(path)
                continue
            }
            positionals.append(arg)
        }

        if helpMode || wantsHelp {
            var flags = FlagValues()
            if let color = given.last(where: { $0.0.name == "color" })?.1 { flags.values["color"] = [color] }
            if let command { return .help(.command(command), flags: flags) }
            return .help(path.isEmpty ? .topLevel : .group(path), flags: flags)
        }
        if let firstError { throw firstError }

        guard let command else {
            if arguments.isEmpty { return .help(.topLevel, flags: FlagValues()) }
            if path.isEmpty {
                throw .usage("missing command; see '\(CommandTable.programName) help'")
            }
            let subs = CommandTable.commands(under: path).map { $0.path[path.count] }
            throw .usage("'\(path.joined(separator: " "))' needs a subcommand: \(subs.joined(separator: ", "))")
        }

        let flags = try resolve(given, command: command, environment: environment)

        let specs = command.positionals
        if positionals.count > specs.count {
            throw .usage("unexpected argument '\(positionals[specs.count])'\(context(command, path))")
        }
        for (spec, value) in zip(specs, positionals) where !spec.choices.isEmpty && !spec.choices.contains(value) {
            throw .usage("invalid value '\(value)' for \(spec.name): expected one of \(spec.choices.joined(separator: ", "))"
                + Suggest.clause(value, among: spec.choices))
        }
        for spec in specs.dropFirst(positionals.count) where spec.required {
            throw .usage("missing argument \(spec.name)\(context(command, path))")
        }
        return .run(Invocation(command: command, positionals: positionals, flags: flags))
    }

    /// Applies repetition rules, validation, environment variables, defaults and `required`.
    private static func resolve(
        _ given: [(FlagSpec, String)], command: CommandSpec, environment: [String: String]
    ) throws(CLIError) -> FlagValues {
        var result = FlagValues()
        for (flag, value) in given {
            if result.explicit.contains(flag.name), !flag.repeatable {
                throw .usage("flag '\(flag.longForm)' given more than once\(context(command, command.path))")
            }
            result.values[flag.name, default: []].append(try validate(value, for: flag, source: nil))
            result.explicit.insert(flag.name)
        }
        for flag in CommandTable.flags(for: command) where !result.explicit.contains(flag.name) {
            if let variable = flag.environment, let value = environment[variable], !value.isEmpty {
                result.values[flag.name] = [try validate(value, for: flag, source: variable)]
            } else if let value = flag.defaultValue {
                result.values[flag.name] = [value]
            } else if flag.required {
                throw .usage("missing required flag '\(flag.longForm)'\(context(command, command.path))")
            }
        }
        return result
    }

    /// The canonical form of `value`, or a usage error naming the flag.
    static func validate(_ value: String, for flag: FlagSpec, source: String?) throws(CLIError) -> String {
        let from = source.map { " (from $\($0))" } ?? ""
        let prefix = "invalid value '\(value)' for \(flag.longForm)\(from)"
        switch flag.type {
        case .string:
            return value
        case .bool:
            switch value.lowercased() {
            case "true", "1", "yes": return "true"
            case "false", "0", "no": return "false"
            default: throw .usage("\(prefix): expected true or false")
            }
        case .int:
            guard let n = Int(value) else { throw .usage("\(prefix): expected an integer") }
            if let minimum = flag.minimum, n < minimum {
                throw .usage("\(prefix): must be at least \(minimum)")
            }
            return String(n)
        case .duration:
            guard DurationParser.seconds(value) != nil else {
                throw .usage("invalid duration '\(value)' for \(flag.longForm)\(from): "
                    + "expected a number and a unit s, m, h or d, such as 90s, 15m, 72h, 7d or 1h30m")
            }
            return value
        case .enumeration(let allowed):
            guard allowed.contains(value) else {
                throw .usage("\(prefix): expected one of \(allowed.joined(separator: ", "))"
                    + Suggest.clause(value, among: allowed))
            }
            return value
        }
    }

    /// `--name=value` → (`--name`, `value`); `-x=value` likewise.
    private static func split(_ arg: String) -> (String, String?) {
        guard let eq = arg.firstIndex(of: "=") else { return (arg, nil) }
        return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
    }

    private static func context(_ command: CommandSpec?, _ path: [String]) -> String {
        if let command { return " for '\(command.name)'" }
        return ""
    }

    /// "; did you mean '--user'?", else a pointer to the relevant help.
    private static func hint(_ spelled: String, among names: [String], command: CommandSpec?, path: [String]) -> String {
        if let near = Suggest.nearest(spelled, among: names) { return "; did you mean '\(near)'?" }
        let topic = command?.name ?? (path.isEmpty ? "" : path.joined(separator: " "))
        return "; see '\(CommandTable.programName) help\(topic.isEmpty ? "" : " " + topic)'"
    }
}
