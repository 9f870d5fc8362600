import MulticaKit

/// Renders help text from `CommandTable`.
enum Help {
    static func render(_ topic: HelpTopic, terminal: Terminal) -> String {
        switch topic {
        case .topLevel: topLevelHelp(terminal)
        case .group(let path): groupHelp(path, terminal)
        case .command(let command): commandHelp(command, terminal)
        }
    }

    /// `multica token mint --user ID [--email E] … [-q]`.
    static func synopsis(_ command: CommandSpec) -> String {
        var parts = [CommandTable.programName] + command.path
        for p in command.positionals {
            let name = !p.choices.isEmpty ? p.choices.joined(separator: "|") : p.acceptsStdin ? "\(p.name)|-" : p.name
            parts.append(p.required ? name : "[\(name)]")
        }
        for flag in command.flags {
            var word = flag.short.map { "-\($0)" } ?? flag.longForm
            if flag.takesValue { word += " " + placeholder(flag) }
            if !flag.required { word = "[\(word)]" }
            if flag.repeatable { word += "..." }
            parts.append(word)
        }
        return parts.joined(separator: " ")
    }

    static func placeholder(_ flag: FlagSpec) -> String {
        if case .enumeration(let values) = flag.type { return values.joined(separator: "|") }
        return flag.valueName
    }

    private static func topLevelHelp(_ t: Terminal) -> String {
        var lines = [
            "\(CommandTable.programName) \(MulticaKitVersion.string) — admin and event-inspection tool for the multica server",
            "",
            t.bold("Usage:") + " \(CommandTable.programName) <command> [flags]",
            "",
            t.bold("Commands:"),
        ]
        let width = CommandTable.commands.map(\.name.count).max() ?? 0
        for c in CommandTable.commands {
            lines.append("  " + pad(c.name, width) + "  " + c.summary)
        }
        lines.append("  " + pad("help", width) + "  Show help for a command.")
        lines.append("")
        lines.append(t.bold("Global flags:"))
        lines += flagLines(CommandTable.globalFlags + [versionFlag])
        lines += [
            "",
            "Run '\(CommandTable.programName) help <command>' or '\(CommandTable.programName) <command> --help' for details.",
            "Exit codes: 0 success, 1 operation failed, 2 usage error, 3 server unreachable.",
        ]
        return lines.joined(separator: "\n")
    }

    private static func groupHelp(_ path: [String], _ t: Terminal) -> String {
        let subs = CommandTable.commands(under: path)
        var lines = [
            t.bold("Usage:") + " \(CommandTable.programName) \(path.joined(separator: " ")) <subcommand> [flags]",
            "",
            t.bold("Subcommands:"),
        ]
        let width = subs.map(\.name.count).max() ?? 0
        for c in subs { lines.append("  " + pad(c.name, width) + "  " + c.summary) }
        lines.append("")
        lines.append("Run '\(CommandTable.programName) help \(path.joined(separator: " ")) <subcommand>' for details.")
        return lines.joined(separator: "\n")
    }

    private static func commandHelp(_ c: CommandSpec, _ t: Terminal) -> String {
        var lines = [t.bold("Usage:") + " " + synopsis(c), "", c.summary]
        if let details = c.details { lines += ["", details] }
        if !c.positionals.isEmpty {
            lines += ["", t.bold("Arguments:")]
            let width = c.positionals.map(\.name.count).max() ?? 0
            for p in c.positionals { lines.append("  " + pad(p.name, width) + "  " + p.help) }
        }
        if !c.flags.isEmpty {
            lines += ["", t.bold("Flags:")]
            lines += flagLines(c.flags)
        }
        let own = Set(c.flags.map(\.name))
        lines += ["", t.bold("Global flags:")]
        lines += flagLines(CommandTable.globalFlags.filter { !own.contains($0.name) })
        return lines.joined(separator: "\n")
    }

    static let versionFlag = FlagSpec("version", .bool, help: "Print the version.")

    private static func flagLines(_ flags: [FlagSpec]) -> [String] {
        let heads = flags.map { flag -> String in
            var head = flag.short.map { "-\($0), " } ?? "    "
            head += flag.longForm
            if flag.takesValue { head += " " + placeholder(flag) }
            return head
        }
        let width = heads.map(\.count).max() ?? 0
        return zip(flags, heads).map { flag, head in
            var notes: [String] = []
            if flag.required { notes.append("required") }
            if flag.repeatable { notes.append("repeatable") }
            if let d = flag.defaultValue { notes.append("default \(d)") }
            if let e = flag.environment { notes.append("env \(e)") }
            let suffix = notes.isEmpty ? "" : " (\(notes.joined(separator: ", ")))"
            return "  " + pad(head, width) + "  " + flag.help + suffix
        }
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
