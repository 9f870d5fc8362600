import Foundation
import Testing

/// `multica open` (SPEC §2): prints `SERVER/#token=…&workspace=…` with a token the
/// server accepts, and runs `xdg-open` only on a desktop.
@Suite struct OpenCLITests {
    /// A stand-in `xdg-open` that records its arguments, in a PATH of its own.
    private func fakeOpener() throws -> (bin: String, record: String) {
        let dir = NSTemporaryDirectory() + "multica-open-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let record = dir + "/opened"
        let script = dir + "/xdg-open"
        try "#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(record)'\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        return (dir, record)
    }

    private func fragment(_ url: String) -> [String: String] {
        let parts = url.split(separator: "#", maxSplits: 1)
        var out: [String: String] = [:]
        for pair in (parts.count == 2 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]).removingPercentEncoding }
        }
        return out
    }

    @Test func printsTheSignedInAddressWithAValidToken() async throws {
        let env = CLI.environment()
        let r = try await CLI.run(["open", "--server", "http://127.0.0.1:8123/", "--workspace", "ws_a&b", "--user", "alice"], environment: env)
        #expect(r.code == 0, "\(r.stderr)")
        let url = r.stdout.trimmingCharacters(in: .newlines)
        #expect(url.hasPrefix("http://127.0.0.1:8123/#token="))
        #expect(!url.contains("?"), "the token must not be in the query, which servers log")
        let values = fragment(url)
        #expect(values["workspace"] == "ws_a&b")
        let token = try #require(values["token"])
        let verified = try await CLI.run(["token", "verify", token, "--json"], environment: env)
        #expect(verified.code == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains(#""sub":"alice""#))
        #expect(r.stderr.contains("open this address in a browser"))

        // Without --workspace the page offers its picker; without --user it is $USER.
        let bare = try await CLI.run(["open", "--server", "http://127.0.0.1:8123"], environment: CLI.environment(extra: ["USER": "zoe"]))
        #expect(bare.code == 0)
        let bareValues = fragment(bare.stdout.trimmingCharacters(in: .newlines))
        #expect(bareValues["workspace"] == nil)
        let claims = try await CLI.run(["token", "verify", try #require(bareValues["token"]), "--json"], environment: env)
        #expect(claims.stdout.contains(#""sub":"zoe""#))
    }

    @Test func runsXdgOpenOnlyOnADesktop() async throws {
        let opener = try fakeOpener()
        defer { try? FileManager.default.removeItem(atPath: opener.bin) }
        let path = "\(opener.bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"

        let headless = try await CLI.run(["open", "--user", "alice"], environment: CLI.environment(extra: ["PATH": path]))
        #expect(headless.code == 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(!FileManager.default.fileExists(atPath: opener.record), "xdg-open ran without a display")

        let desktop = try await CLI.run(["open", "--user", "alice", "--workspace", "w1"],
                                        environment: CLI.environment(extra: ["PATH": path, "WAYLAND_DISPLAY": "wayland-0"]))
        #expect(desktop.code == 0)
        let url = desktop.stdout.trimmingCharacters(in: .newlines)
        // xdg-open runs detached: wait until it has written its whole line.
        let deadline = ContinuousClock.now + .seconds(10)
        var opened = ""
        while !opened.hasSuffix("\n"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            opened = (try? String(contentsOfFile: opener.record, encoding: .utf8)) ?? ""
        }
        #expect(opened.trimmingCharacters(in: .newlines) == url)
    }

    @Test func badValuesAreUsageErrors() async throws {
        let r = try await CLI.run(["open", "--user", " "])
        #expect(r.code == 2)
        #expect(r.stderr.contains("--user"))
        let s = try await CLI.run(["open", "--server", "ftp://x"])
        #expect(s.code == 2)
    }
}
