/// The whole command-line surface as plain data (SPEC §2).
///
/// Help, the parser, and later the shell completions and the man page are all
/// generated from `CommandTable.globalFlags` and `CommandTable.commands`.

/// The kind of value a flag or positional takes.
enum ValueType: Sendable, Equatable {
    case string
    case int
    /// A flag with no value (`--admin`); `--admin=false` is also accepted.
    case bool
    /// `90s`, `15m`, `72h`, `7d`, or a combination such as `1h30m`.
    case duration
    case enumeration([String])
}

struct FlagSpec: Sendable, Equatable {
    /// Long name without dashes: `user` for `--user`.
    var name: String
    /// Short name without the dash: `q` for `-q`.
    var short: Character?
    var type: ValueType
    /// Placeholder shown in help (`ID`, `DURATION`); unused for booleans.
    var valueName: String
    var help: String
    /// Default value as it would be typed on the command line.
    var defaultValue: String?
    /// Environment variable consulted when the flag is not given.
    var environment: String?
    var repeatable: Bool
    var required: Bool
    /// Smallest accepted value for `int` flags.
    var minimum: Int?

    init(
        _ name: String, short: Character? = nil, _ type: ValueType, value valueName: String = "",
        help: String, default defaultValue: String? = nil, env environment: String? = nil,
        repeatable: Bool = false, required: Bool = false, minimum: Int? = nil
    ) {
        self.name = name
        self.short = short
        self.type = type
        self.valueName = valueName
        self.help = help
        self.defaultValue = defaultValue
        self.environment = environment
        self.repeatable = repeatable
        self.required = required
        self.minimum = minimum
    }

    var longForm: String { "--" + name }
    var takesValue: Bool { type != .bool }
}

struct PositionalSpec: Sendable, Equatable {
    /// Placeholder shown in help (`TOKEN`, `NAME`).
    var name: String
    var help: String
    var required: Bool = true
    /// Shown as `NAME|-`: a `-` reads the value from stdin.
    var acceptsStdin: Bool = false
    /// The accepted values, when the argument is an enumeration (completed by shells).
    var choices: [String] = []
}

struct CommandSpec: Sendable, Equatable {
    /// `["token", "mint"]`.
    var path: [String]
    var summary: String
    var positionals: [PositionalSpec] = []
    /// Command flags; a flag named like a global flag replaces it for this command.
    var flags: [FlagSpec] = []
    /// Extra paragraph for `--help` and the man page.
    var details: String? = nil

    var name: String { path.joined(separator: " ") }
}

enum CommandTable {
    static let programName = "multica"

    static let help = FlagSpec("help", short: "h", .bool, help: "Show help for this command.")

    static let globalFlags: [FlagSpec] = [
        FlagSpec("server", .string, value: "URL", help: "Server base URL.",
                 default: "http://127.0.0.1:8080", env: "MULTICA_SERVER"),
        FlagSpec("token", .string, value: "JWT", help: "Access token sent as Authorization: Bearer.",
                 env: "MULTICA_TOKEN"),
        FlagSpec("json", .bool, help: "Print data as JSON."),
        FlagSpec("color", .enumeration(["auto", "always", "never"]), value: "WHEN",
                 help: "Colour output: auto (only on a terminal, honours NO_COLOR), always or never.",
                 default: "auto"),
        help,
    ]

    static let commands: [CommandSpec] = [
        CommandSpec(
            path: ["serve"], summary: "Run the server (REST, event log, WebSocket hub).",
            flags: [
                FlagSpec("listen", .string, value: "HOST:PORT", help: "Address to listen on.", default: "127.0.0.1:8080"),
                FlagSpec("db", .string, value: "PATH|URL",
                         help: "SQLite database file (default $MULTICA_HOME/multica.db), or postgres://USER:PASSWORD@HOST:PORT/DB "
                             + "to share a PostgreSQL database between nodes (env MULTICA_DATABASE_URL)."),
                FlagSpec("allowed-origin", .string, value: "O",
                         help: "Allowed WebSocket Origin; repeat for several (default: any).", repeatable: true),
                FlagSpec("log-format", .enumeration(["text", "json"]), value: "FORMAT", help: "Log format.", default: "text"),
                FlagSpec("log-level", .enumeration(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
                         value: "L", help: "Minimum log level.", default: "info"),
                FlagSpec("retain", .duration, value: "DURATION", help: "Drop events older than this from the log."),
                FlagSpec("retain-count", .int, value: "N", help: "Keep at most N events per workspace.", minimum: 1),
                FlagSpec("send-queue", .int, value: "N",
                         help: "Frames queued per socket before it is closed as a slow consumer (4008).", minimum: 1),
            ],
            details: "Stops gracefully on SIGINT/SIGTERM. Runs one event loop per CPU it may run on "
                + "(taskset and cgroups count); NIO_SINGLETON_GROUP_LOOP_COUNT sets another number."
        ),
        CommandSpec(
            path: ["open"], summary: "Open the web viewer, signed in.",
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace to show first (default: the first one)."),
                FlagSpec("user", .string, value: "ID", help: "User id of the minted token (default: $USER)."),
            ],
            details: "Mints a 24h token (as token mint) and prints SERVER/#token=…&workspace=…; the token travels in the "
                + "URL fragment, which no server log sees. On a desktop (DISPLAY or WAYLAND_DISPLAY set, xdg-open present) "
                + "it also opens the address in the browser."
        ),
        CommandSpec(
            path: ["token", "mint"], summary: "Sign an HS256 access token.",
            flags: [
                FlagSpec("user", .string, value: "ID", help: "User id (the sub claim).", required: true),
                FlagSpec("email", .string, value: "E", help: "Email claim."),
                FlagSpec("name", .string, value: "N", help: "Display-name claim."),
                FlagSpec("ttl", .duration, value: "DURATION", help: "Lifetime of the token.", default: "24h"),
                FlagSpec("admin", .bool, help: "Mark the user as server admin (adm claim)."),
                FlagSpec("quiet", short: "q", .bool, help: "Print only the token."),
            ],
            details: "The secret is MULTICA_JWT_SECRET, else $MULTICA_HOME/jwt-secret (created on first use). "
                + "Only the token is printed with -q or when stdout is not a terminal."
        ),
        CommandSpec(
            path: ["token", "verify"], summary: "Verify a token and print its claims.",
            positionals: [PositionalSpec(name: "TOKEN", help: "The token, or - to read it from stdin.", acceptsStdin: true)],
            details: "Exits 1 when the token is invalid or expired."
        ),
        CommandSpec(
            path: ["workspace", "create"], summary: "Create a workspace; you become its owner.",
            positionals: [PositionalSpec(name: "NAME", help: "Workspace name.")],
            flags: [FlagSpec("slug", .string, value: "S", help: "URL slug (default derived from NAME).")]
        ),
        CommandSpec(path: ["workspace", "list"], summary: "List your workspaces."),
        CommandSpec(
            path: ["workspace", "show"], summary: "Show one workspace.",
            positionals: [PositionalSpec(name: "ID", help: "Workspace id.")]
        ),
        CommandSpec(
            path: ["member", "add"], summary: "Add a member to a workspace.",
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true),
                FlagSpec("user", .string, value: "U", help: "User id.", required: true),
                FlagSpec("role", .enumeration(["member", "admin", "owner"]), value: "ROLE", help: "Role.", default: "member"),
            ]
        ),
        CommandSpec(
            path: ["member", "remove"], summary: "Remove a member from a workspace.",
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true),
                FlagSpec("user", .string, value: "U", help: "User id.", required: true),
            ]
        ),
        CommandSpec(
            path: ["member", "list"], summary: "List the members of a workspace.",
            flags: [FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true)]
        ),
        CommandSpec(
            path: ["emit", "event"], summary: "Publish synthetic events.",
            positionals: [PositionalSpec(name: "TYPE", help: "Event type, e.g. issue:created.")],
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true),
                FlagSpec("payload", .string, value: "JSON|@FILE|-",
                         help: "Payload object; default: a realistic payload for TYPE."),
                FlagSpec("count", .int, value: "N", help: "Number of events.", default: "1", minimum: 1),
                FlagSpec("rate", .int, value: "PER_SEC", help: "Publish at most this many events per second.", minimum: 1),
                FlagSpec("via", .enumeration(["ws", "http"]), value: "TRANSPORT",
                         help: "ws: pipelined publish frames on one socket; http: POST /api/events batches.", default: "ws"),
            ],
            details: "Prints each event's seq (NDJSON with --json)."
        ),
        CommandSpec(
            path: ["tail"], summary: "Follow a workspace's live event stream.",
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true),
                FlagSpec("since", .int, value: "SEQ", help: "Replay events after this seq first.", minimum: 0),
                FlagSpec("from-start", .bool, help: "Replay the whole retained log first."),
                FlagSpec("type", .string, value: "GLOB", help: "Only events whose type matches; repeatable.", repeatable: true),
                FlagSpec("count", .int, value: "N", help: "Exit 0 after N events.", minimum: 1),
                FlagSpec("no-reconnect", .bool, help: "Exit instead of reconnecting when the connection drops."),
            ],
            details: "Reconnects with backoff and resumes from the last seq seen: no gap, no duplicate."
        ),
        CommandSpec(
            path: ["events", "list"], summary: "Read a workspace's durable event log (newest last).",
            flags: [
                FlagSpec("workspace", .string, value: "W", help: "Workspace id.", required: true),
                FlagSpec("since", .int, value: "SEQ", help: "Only events after this seq.", minimum: 0),
                FlagSpec("limit", .int, value: "N", help: "At most N events.", minimum: 1),
                FlagSpec("type", .string, value: "GLOB", help: "Only events whose type matches."),
            ]
        ),
        CommandSpec(
            path: ["verify", "isolation"], summary: "Prove that no event crosses from one workspace to another.",
            flags: [
                FlagSpec("server", .string, value: "URL",
                         help: "Server to test; repeat for several nodes sharing one database (clients and publishers "
                             + "are spread over them). Without it an embedded server runs on a temporary DB.",
                         repeatable: true),
                FlagSpec("workspaces", .int, value: "N", help: "Workspaces to create.", default: "3", minimum: 2),
                FlagSpec("clients", .int, value: "N", help: "Clients per workspace.", default: "2", minimum: 1),
                FlagSpec("events", .int, value: "N", help: "Events per workspace.", default: "50", minimum: 1),
            ],
            details: "Prints a table of checks; exits 0 only when every check passes."
        ),
        CommandSpec(
            path: ["bench", "fanout"], summary: "Load-test event fan-out.",
            flags: [
                FlagSpec("server", .string, value: "URL",
                         help: "Server to load; without it `multica serve` is spawned on a temporary DB and a free port."),
                FlagSpec("server-pid", .int, value: "PID",
                         help: "Process id of --server, to report its CPU per message and RSS per socket from /proc.", minimum: 1),
                FlagSpec("publish-server", .string, value: "URL",
                         help: "Publish through this node instead (another node on the same PostgreSQL database): "
                            + "every delivery then crosses nodes."),
                FlagSpec("connections", .int, value: "N", help: "WebSocket connections.", default: "100", minimum: 1),
                FlagSpec("workspaces", .int, value: "N", help: "Workspaces the connections are spread over.", default: "10", minimum: 1),
                FlagSpec("events", .int, value: "N", help: "Events to publish.", default: "1000", minimum: 1),
                FlagSpec("rate", .int, value: "R", help: "Events per second (default: as fast as possible).", minimum: 1),
                FlagSpec("payload-bytes", .int, value: "B", help: "Payload size in bytes.", default: "256", minimum: 2),
                FlagSpec("via", .enumeration(["ws", "http"]), value: "TRANSPORT",
                         help: "ws: pipelined publish frames, one socket per workspace; http: POST /api/events.", default: "ws"),
                FlagSpec("append-only", .bool,
                         help: "Measure event-log append throughput only (a temporary SQLite log, batches of 1000; no server)."),
            ],
            details: "Prints delivered msg/s, publish→receive latency p50/p90/p99/max, loss, connect time and rate, and "
                + "(with a spawned server or --server-pid) the server's CPU time per delivered message and RSS per socket."
        ),
        CommandSpec(
            path: ["completion"], summary: "Print a shell completion script.",
            positionals: [PositionalSpec(name: "SHELL", help: "bash, zsh or fish.", choices: ["bash", "zsh", "fish"])],
            details: "bash: source it from ~/.bashrc; zsh: save it as _multica in a directory of $fpath; "
                + "fish: save it as ~/.config/fish/completions/multica.fish."
        ),
        CommandSpec(path: ["man"], summary: "Print the manual page (roff).",
                    details: "View it with: multica man | man -l -"),
    ]

    /// First words of every command, in table order, without repeats.
    static var topLevelNames: [String] {
        var seen: [String] = []
        for c in commands where !seen.contains(c.path[0]) { seen.append(c.path[0]) }
        return seen
    }

    static func command(_ path: [String]) -> CommandSpec? {
        commands.first { $0.path == path }
    }

    /// Commands whose path starts with `prefix`.
    static func commands(under prefix: [String]) -> [CommandSpec] {
        commands.filter { $0.path.starts(with: prefix) }
    }

    /// Flags accepted by `command`: its own, then the global ones it does not replace.
    static func flags(for command: CommandSpec?) -> [FlagSpec] {
        let own = command?.flags ?? []
        let ownNames = Set(own.map(\.name))
        return own + globalFlags.filter { !ownNames.contains($0.name) }
    }
}
