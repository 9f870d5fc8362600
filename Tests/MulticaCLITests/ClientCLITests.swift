import Foundation
import Testing

/// Client commands that need no server: input errors, an unreachable server, and
/// the generated completions and man page.
@Suite struct EmitInputTests {
    static let base = ["emit", "event", "--workspace", "ws_1", "--token", "t", "--server", "http://127.0.0.1:1"]

    struct Case: Sendable, CustomTestStringConvertible {
        var args: [String]
        var message: String
        var stdin: String? = nil
        var testDescription: String { args.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(args: ["issue:craeted"], message: "unknown event type 'issue:craeted': the 'issue' family has only "
             + "issue:created, issue:updated, issue:deleted; did you mean 'issue:created'?"),
        Case(args: ["inbox:nwe", "--payload", "{}"], message: "unknown event type 'inbox:nwe': the 'inbox' family has only "
             + "inbox:new, inbox:read, inbox:archived; did you mean 'inbox:new'?"),
        Case(args: ["daemon:custom", "--payload", "{}"], message: "unknown event type 'daemon:custom': the 'daemon' family has only "
             + "daemon:register, daemon:heartbeat"),
        Case(args: ["isue:created"], message: "custom type 'isue:created' needs --payload JSON|@FILE|- "
             + "(payloads are generated only for catalog types); did you mean 'issue:created'?"),
        Case(args: ["issue-created"], message: "invalid event type 'issue-created': expected a catalog type or a custom type "
             + "family:name ([a-z0-9_]); did you mean 'issue:created'?"),
        Case(args: ["Acme:Deploy", "--payload", "{}"], message: "invalid event type 'Acme:Deploy': expected a catalog type or a custom "
             + "type family:name ([a-z0-9_]); see 'multica help emit event'"),
        Case(args: ["acme:deploy"], message: "custom type 'acme:deploy' needs --payload JSON|@FILE|- "
             + "(payloads are generated only for catalog types)"),
        Case(args: ["acme:deploy", "--payload", "{\"a\": 1,\n  \"b\": }"],
             message: "invalid JSON in --payload: unexpected character '}' at line 2, column 8"),
        Case(args: ["acme:deploy", "--payload", "[1,2]"],
             message: "invalid JSON in --payload: expected a JSON object at line 1, column 1"),
        Case(args: ["acme:deploy", "--payload", "-"], message: "invalid JSON in --payload (stdin): "
             + "unexpected end of input, expected ',' or '}' at line 3, column 1", stdin: "{\n\"a\":1\n"),
        Case(args: ["issue:created", "--payload", "@/nonexistent/payload.json"],
             message: "cannot read payload file '/nonexistent/payload.json': no such file"),
        Case(args: ["issue:created", "--count", "0"], message: "invalid value '0' for --count: must be at least 1"),
    ]

    @Test(arguments: cases)
    func badInput(c: Case) async throws {
        let r = try await CLI.run(Self.base + c.args, stdin: c.stdin)
        #expect(r.code == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines == ["multica: " + c.message])
    }

    @Test func payloadTooLarge() async throws {
        let big = "{\"x\":\"" + String(repeating: "a", count: 70_000) + "\"}"
        let r = try await CLI.run(Self.base + ["acme:big", "--payload", "-"], stdin: big)
        #expect(r.code == 2)
        #expect(r.stderr.contains("payload too large: 70008 bytes, at most 65536"))
    }

    @Test func missingToken() async throws {
        let r = try await CLI.run(["workspace", "list"])
        #expect(r.code == 2)
        #expect(r.stderr.hasPrefix("multica: no token: pass --token JWT or set MULTICA_TOKEN"))
    }

    @Test func httpsIsAUsageError() async throws {
        let r = try await CLI.run(["workspace", "list", "--token", "t", "--server", "https://example.com"])
        #expect(r.code == 2)
        #expect(r.stderr.contains("only http:// is supported"))
    }
}

@Suite struct UnreachableServerTests {
    static let server = "http://127.0.0.1:1"

    @Test(arguments: [
        ["workspace", "list"], ["workspace", "create", "Demo"], ["workspace", "show", "ws_1"],
        ["member", "list", "--workspace", "ws_1"], ["member", "add", "--workspace", "ws_1", "--user", "u"],
        ["member", "remove", "--workspace", "ws_1", "--user", "u"],
        ["emit", "event", "issue:created", "--workspace", "ws_1"], ["events", "list", "--workspace", "ws_1"],
        ["tail", "--workspace", "ws_1"],
    ])
    func exitsThreeNamingTheURL(args: [String]) async throws {
        let env = CLI.environment(extra: ["MULTICA_SERVER": Self.server, "MULTICA_TOKEN": "t"])
        let r = try await CLI.run(args, environment: env)
        #expect(r.code == 3, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("multica: cannot reach the server at http://127.0.0.1:1: connection refused"))
    }
}

@Suite struct GeneratedDocsTests {
    static let files = [
        (["completion", "bash"], "completions/multica.bash"), (["completion", "zsh"], "completions/_multica"),
        (["completion", "fish"], "completions/multica.fish"), (["man"], "man/multica.1"),
    ]

    @Test func committedFilesAreUpToDate() async throws {
        for (args, path) in Self.files {
            let r = try await CLI.run(args)
            #expect(r.code == 0)
            let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent(path), encoding: .utf8)
            #expect(committed == r.stdout, "\(path) is stale: run `multica \(args.joined(separator: " ")) > \(path)`")
        }
    }

    @Test func completionsAndManCoverEveryCommandFlagAndValue() throws {
        let bash = try String(contentsOf: CLI.packageRoot.appendingPathComponent("completions/multica.bash"), encoding: .utf8)
        let fish = try String(contentsOf: CLI.packageRoot.appendingPathComponent("completions/multica.fish"), encoding: .utf8)
        let zsh = try String(contentsOf: CLI.packageRoot.appendingPathComponent("completions/_multica"), encoding: .utf8)
        let man = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/multica.1"), encoding: .utf8)
        for name in specCommands + ["completion", "man"] {
            #expect(bash.contains("\"\(name)\""), Comment(rawValue: "bash: \(name)"))
            #expect(zsh.contains("\"\(name)\""), Comment(rawValue: "zsh: \(name)"))
            #expect(fish.contains("'\(name)'"), Comment(rawValue: "fish: \(name)"))
            #expect(man.contains(".SS \"multica \(name)"), Comment(rawValue: "man: \(name)"))
        }
        for flag in ["--server", "--token", "--json", "--color", "--workspace", "--payload", "--rate", "--from-start",
                     "--no-reconnect", "--type", "--allowed-origin", "--log-level", "--retain-count", "--payload-bytes", "--ttl"] {
            #expect(bash.contains(flag) && zsh.contains(flag), Comment(rawValue: flag))
            #expect(fish.contains("-l \(flag.dropFirst(2))"), Comment(rawValue: flag))
            #expect(man.contains(flag.replacingOccurrences(of: "-", with: "\\-")), Comment(rawValue: flag))
        }
        // Every variable a user may set (the test-only seams MULTICA_TEST_* stay out).
        for variable in ["MULTICA_SERVER", "MULTICA_TOKEN", "MULTICA_JWT_SECRET", "MULTICA_HOME", "MULTICA_DATABASE_URL",
                         "NIO_SINGLETON_GROUP_LOOP_COUNT", "NO_COLOR"] {
            #expect(man.contains("\\fB\(variable)\\fR"), Comment(rawValue: variable))
        }
        for value in ["auto always never", "member admin owner", "text json", "trace debug info", "bash zsh fish"] {
            #expect(bash.contains(value) && zsh.contains(value), Comment(rawValue: value))
            #expect(fish.contains(value) || value.split(separator: " ").allSatisfy { fish.contains("-a '\($0)'") }, Comment(rawValue: value))
        }
    }

    @Test func bashSyntax() async throws {
        let r = try await CLI.run(["bash", "-n", CLI.packageRoot.appendingPathComponent("completions/multica.bash").path],
                                  executable: URL(fileURLWithPath: "/usr/bin/env"))
        #expect(r.code == 0, "\(r.stderr)")
    }

    @Test func bashCompletesFlagsAndValues() async throws {
        let script = CLI.packageRoot.appendingPathComponent("completions/multica.bash").path
        let probe = """
        source '\(script)'
        COMP_WORDS=(multica member add --ro); COMP_CWORD=3; _multica; echo "${COMPREPLY[*]}"
        COMP_WORDS=(multica member add --role a); COMP_CWORD=4; _multica; echo "${COMPREPLY[*]}"
        COMP_WORDS=(multica --json to); COMP_CWORD=2; _multica; echo "${COMPREPLY[*]}"
        COMP_WORDS=(multica completion ''); COMP_CWORD=2; _multica; echo "${COMPREPLY[*]}"
        """
        let r = try await CLI.run(["bash", "-c", probe], executable: URL(fileURLWithPath: "/usr/bin/env"))
        #expect(r.stdout == "--role\nadmin\ntoken\nbash zsh fish\n", "\(r.stderr)")
    }

    @Test func groffPrintsNoWarnings() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/groff"), "groff is not installed")
        let r = try await CLI.run(["groff", "-man", "-Tutf8", "-ww", CLI.packageRoot.appendingPathComponent("man/multica.1").path],
                                  executable: URL(fileURLWithPath: "/usr/bin/env"))
        #expect(r.code == 0)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        #expect(r.stdout.contains("emit event"))
    }

    @Test(arguments: [("zsh", "completions/_multica"), ("fish", "completions/multica.fish")])
    func shellSyntaxWhenInstalled(shell: String, path: String) async throws {
        let found = ["/usr/bin/\(shell)", "/bin/\(shell)", "/usr/local/bin/\(shell)"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let found else { return }  // shell not installed: nothing to check
        let r = try await CLI.run(["-n", CLI.packageRoot.appendingPathComponent(path).path], executable: URL(fileURLWithPath: found))
        #expect(r.code == 0, "\(r.stderr)")
    }
}
