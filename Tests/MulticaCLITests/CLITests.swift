import Foundation
import Testing

/// Every command of SPEC §2, as `multica help` must list it.
let specCommands = [
    "serve", "token mint", "token verify", "workspace create", "workspace list", "workspace show",
    "member add", "member remove", "member list", "emit event", "tail", "events list",
    "verify isolation", "bench fanout",
]

@Suite struct CLIHelpTests {
    @Test func version() async throws {
        let r = try await CLI.run(["--version"])
        #expect(r.code == 0)
        #expect(r.stdout == "multica 0.1.0\n")
        #expect(r.stderr.isEmpty)
    }

    @Test(arguments: [["help"], ["--help"], ["-h"], []])
    func topLevelHelpListsEveryCommand(args: [String]) async throws {
        let r = try await CLI.run(args)
        #expect(r.code == 0)
        for name in specCommands { #expect(r.stdout.contains("  \(name) "), "missing \(name)") }
        for flag in ["--server URL", "--token JWT", "--json", "--color auto|always|never", "-h, --help", "--version"] {
            #expect(r.stdout.contains(flag), "missing \(flag)")
        }
        #expect(r.stdout.contains("MULTICA_SERVER") && r.stdout.contains("http://127.0.0.1:8080"))
    }

    @Test func commandHelpIsTheSameEveryWay() async throws {
        let a = try await CLI.run(["help", "token", "mint"])
        let b = try await CLI.run(["token", "mint", "--help"])
        let c = try await CLI.run(["token", "mint", "-h", "--bogus"])
        #expect(a.code == 0 && b.code == 0 && c.code == 0)
        #expect(a.stdout == b.stdout && b.stdout == c.stdout)
        #expect(a.stdout.hasPrefix("Usage: multica token mint --user ID [--email E] [--name N] [--ttl DURATION] [--admin] [-q]\n"))
        #expect(a.stdout.contains("default 24h"))
    }

    @Test func everyCommandHasHelp() async throws {
        for name in specCommands {
            let r = try await CLI.run(name.split(separator: " ").map(String.init) + ["--help"])
            #expect(r.code == 0, "\(name)")
            #expect(r.stdout.hasPrefix("Usage: multica \(name)"), "\(name)")
        }
    }

    @Test func serveHelpHasEveryFlag() async throws {
        let r = try await CLI.run(["help", "serve"])
        for flag in ["--listen HOST:PORT", "--db PATH", "[--allowed-origin O]...", "--log-format text|json",
                     "--log-level", "--retain DURATION", "--retain-count N", "--send-queue N"] {
            #expect(r.stdout.contains(flag), "missing \(flag)")
        }
    }

    @Test func colorFlagAndNoColor() async throws {
        let always = try await CLI.run(["help", "--color", "always"], environment: CLI.environment(extra: ["NO_COLOR": "1"]))
        #expect(always.stdout.contains("\u{1B}[1m"))
        let never = try await CLI.run(["help", "--color=never"])
        #expect(!never.stdout.contains("\u{1B}"))
        let auto = try await CLI.run(["help"])  // stdout is a file, not a terminal
        #expect(!auto.stdout.contains("\u{1B}"))
    }

    @Test func groupHelp() async throws {
        let r = try await CLI.run(["help", "token"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("token mint") && r.stdout.contains("token verify"))
    }
}

@Suite struct CLIUsageErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var args: [String]
        var message: String
        var testDescription: String { args.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(args: ["tokn"], message: "unknown command 'tokn'; did you mean 'token'?"),
        Case(args: ["token", "mnit"], message: "unknown command 'token mnit'; did you mean 'token mint'?"),
        Case(args: ["help", "tokn"], message: "unknown command 'tokn'; did you mean 'token'?"),
        Case(args: ["token"], message: "'token' needs a subcommand: mint, verify"),
        Case(args: ["token", "mint", "--usr", "u1"], message: "unknown flag '--usr' for 'token mint'; did you mean '--user'?"),
        Case(args: ["--jsno", "token", "verify", "x"], message: "unknown flag '--jsno'; did you mean '--json'?"),
        Case(args: ["token", "mint", "--user"], message: "flag '--user' needs a value (ID) for 'token mint'"),
        Case(args: ["token", "mint", "--user", "--admin"], message: "flag '--user' needs a value (ID) for 'token mint'"),
        Case(args: ["token", "mint"], message: "missing required flag '--user' for 'token mint'"),
        Case(args: ["token", "mint", "--user", "a", "--user", "b"], message: "flag '--user' given more than once for 'token mint'"),
        Case(args: ["token", "verify"], message: "missing argument TOKEN for 'token verify'"),
        Case(args: ["token", "verify", "a", "b"], message: "unexpected argument 'b' for 'token verify'"),
        Case(args: ["tail", "--workspace", "w", "--count", "abc"], message: "invalid value 'abc' for --count: expected an integer"),
        Case(args: ["tail", "--workspace", "w", "--count", "0"], message: "invalid value '0' for --count: must be at least 1"),
        Case(args: ["serve", "--log-format", "jsn"],
             message: "invalid value 'jsn' for --log-format: expected one of text, json; did you mean 'json'?"),
        Case(args: ["member", "add", "--workspace", "w", "--user", "u", "--role=admn"],
             message: "invalid value 'admn' for --role: expected one of member, admin, owner; did you mean 'admin'?"),
        Case(args: ["token", "mint", "--user", "u", "--color", "sometimes"],
             message: "invalid value 'sometimes' for --color: expected one of auto, always, never"),
        Case(args: ["serve", "--retain", "7days"],
             message: "invalid duration '7days' for --retain: expected a number and a unit s, m, h or d, such as 90s, 15m, 72h, 7d or 1h30m"),
    ]

    @Test(arguments: cases)
    func usageError(c: Case) async throws {
        let r = try await CLI.run(c.args)
        #expect(r.code == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines == ["multica: " + c.message])
    }

    @Test(arguments: ["10", "1.5h", "h", "1w", "-5m", "1m1h", "1h1h", "", "5 m", "99999999999d"])
    func badDurations(text: String) async throws {
        let r = try await CLI.run(["token", "mint", "--user", "u", "--ttl", text])
        #expect(r.code == 2)
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.hasPrefix("multica: invalid duration '\(text)' for --ttl"))
    }

    @Test func zeroTTLIsAUsageError() async throws {
        let r = try await CLI.run(["token", "mint", "--user", "u", "--ttl", "0s"])
        #expect(r.code == 2)
        #expect(r.stderr == "multica: invalid duration '0s' for --ttl: must be longer than 0s\n")
    }
}

@Suite struct CLICommandTests {
    @Test(arguments: [("90s", 90), ("15m", 900), ("72h", 259_200), ("7d", 604_800), ("1h30m", 5_400), ("1d2h3m4s", 93_784)])
    func goodDurations(text: String, seconds: Int) async throws {
        let r = try await CLI.run(["token", "mint", "--user", "u", "--ttl=\(text)", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let exp = try #require(object["exp"] as? Int), iat = try #require(object["iat"] as? Int)
        #expect(exp - iat == seconds)
        #expect(object["token"] is String)
    }

    @Test func mintQuietThenVerify() async throws {
        let env = CLI.environment()
        let minted = try await CLI.run(["token", "mint", "--user", "u1", "--email", "u1@example.com", "--name", "Uma", "--admin", "-q"], environment: env)
        #expect(minted.code == 0)
        #expect(minted.stderr.isEmpty)
        let token = minted.stdout.trimmingCharacters(in: .newlines)
        #expect(token.split(separator: ".").count == 3)
        #expect(minted.stdout == token + "\n")

        let verified = try await CLI.run(["token", "verify", token], environment: env)
        #expect(verified.code == 0)
        for line in ["sub:   u1", "email: u1@example.com", "name:  Uma", "admin: true", "valid"] {
            #expect(verified.stdout.contains(line + "\n"), "missing \(line)")
        }
        #expect(verified.stdout.contains("iat:   ") && verified.stdout.contains("exp:   "))

        let fromStdin = try await CLI.run(["--json", "token", "verify", "-"], environment: env, stdin: token + "\n")
        #expect(fromStdin.code == 0)
        let claims = try #require(try JSONSerialization.jsonObject(with: Data(fromStdin.stdout.utf8)) as? [String: Any])
        #expect(claims["sub"] as? String == "u1")
        #expect(claims["adm"] as? Bool == true)
        #expect(claims["name"] as? String == "Uma")
    }

    @Test func mintWithoutQuietToAPipePrintsOnlyTheToken() async throws {
        let r = try await CLI.run(["token", "mint", "--user=u2"])
        #expect(r.code == 0)
        #expect(r.stdout.split(separator: "\n").count == 1)
        #expect(r.stdout.split(separator: ".").count == 3)
    }

    @Test func tamperedTokenIsRejected() async throws {
        let env = CLI.environment()
        let token = try await CLI.run(["token", "mint", "--user", "u1", "-q"], environment: env).stdout
            .trimmingCharacters(in: .newlines)
        let parts = token.split(separator: ".").map(String.init)
        let forgedPayload = Data(#"{"sub":"root","exp":9999999999,"adm":true}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let r = try await CLI.run(["token", "verify", parts[0] + "." + forgedPayload + "." + parts[2]], environment: env)
        #expect(r.code == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "multica: invalid token: bad signature\n")
    }

    @Test func expiredTokenIsRejected() async throws {
        let signed = try await CLI.python(Python.sign, [CLI.secret, "u-old", "-60", "HS256"])
        #expect(signed.code == 0, "\(signed.stderr)")
        let r = try await CLI.run(["token", "verify", signed.stdout.trimmingCharacters(in: .newlines)])
        #expect(r.code == 1)
        #expect(r.stderr == "multica: invalid token: token expired\n")
    }

    @Test func otherAlgorithmIsRejected() async throws {
        let signed = try await CLI.python(Python.sign, [CLI.secret, "u1", "600", "HS512"])
        let r = try await CLI.run(["token", "verify", signed.stdout.trimmingCharacters(in: .newlines)])
        #expect(r.code == 1)
        #expect(r.stderr == "multica: invalid token: unsupported algorithm 'HS512' (only HS256 is accepted)\n")
    }

    @Test func doubleDashEndsOptions() async throws {
        let r = try await CLI.run(["token", "verify", "--", "--not-a-flag"])
        #expect(r.code == 1)
        #expect(r.stderr.hasPrefix("multica: invalid token: malformed token:"))
    }

    @Test func shortSecretIsAFailureWithTheMinimum() async throws {
        let r = try await CLI.run(["token", "mint", "--user", "u"], environment: CLI.environment(secret: "short"))
        #expect(r.code == 1)
        #expect(r.stderr == "multica: JWT secret is too short: 5 bytes, at least 32 are required (MULTICA_JWT_SECRET)\n")
    }

    @Test func mintCreatesTheSecretFileAndVerifyUsesIt() async throws {
        let env = CLI.environment(secret: nil)
        let home = try #require(env["MULTICA_HOME"])
        let missing = try await CLI.run(["token", "verify", "a.b.c"], environment: env)
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("no JWT secret"))

        let token = try await CLI.run(["token", "mint", "--user", "u", "-q"], environment: env).stdout
        let attributes = try FileManager.default.attributesOfItem(atPath: home + "/jwt-secret")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let r = try await CLI.run(["token", "verify", "-"], environment: env, stdin: token)
        #expect(r.code == 0)
    }

    @Test func binaryTokenVerifiesInPython() async throws {
        let token = try await CLI.run(["token", "mint", "--user", "interop", "--email", "i@example.com", "-q"]).stdout
            .trimmingCharacters(in: .newlines)
        let r = try await CLI.python(Python.verify, [token, CLI.secret])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout == "interop i@example.com\n")
    }

    @Test func pythonTokenVerifiesInBinary() async throws {
        let signed = try await CLI.python(Python.sign, [CLI.secret, "py-user", "600", "HS256"])
        #expect(signed.code == 0, "\(signed.stderr)")
        let r = try await CLI.run(["token", "verify", "--json", signed.stdout.trimmingCharacters(in: .newlines)])
        #expect(r.code == 0, "\(r.stderr)")
        let claims = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(claims["sub"] as? String == "py-user")
        #expect(claims["email"] as? String == "py@example.com")
    }
}

/// HS256 with Python's standard library only.
enum Python {
    /// argv: secret, sub, seconds-from-now, alg → prints a token.
    static let sign = """
    import sys, hmac, hashlib, base64, json, time
    secret, sub, ttl, alg = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    e = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
    now = int(time.time())
    h = e(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    p = e(json.dumps({"sub": sub, "iat": now, "exp": now + ttl, "email": "py@example.com"}).encode())
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    print(h + "." + p + "." + e(hmac.new(secret, (h + "." + p).encode(), digest).digest()))
    """

    /// argv: token, secret → prints "sub email" when the HS256 signature and exp are good.
    static let verify = """
    import sys, hmac, hashlib, base64, json, time
    token, secret = sys.argv[1], sys.argv[2].encode()
    h, p, s = token.split(".")
    d = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    assert json.loads(d(h))["alg"] == "HS256", "alg"
    mac = base64.urlsafe_b64encode(hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    assert hmac.compare_digest(mac, s), "signature"
    claims = json.loads(d(p))
    assert claims["exp"] > time.time(), "exp"
    print(claims["sub"], claims["email"])
    """
}
