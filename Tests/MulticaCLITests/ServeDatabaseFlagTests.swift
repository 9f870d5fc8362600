import Foundation
import Testing

@Suite("serve --db / MULTICA_DATABASE_URL")
struct ServeDatabaseFlagTests {
    @Test(arguments: [
        "postgres://admin:TopSecret42@db:notaport/multica",
        "postgresql://admin:TopSecret42@db:5432",
        "postgres://admin:TopSecret42@db/multica?sslmode=verify-full",
    ])
    func aMalformedPostgresURLIsAUsageErrorThatHidesThePassword(_ url: String) async throws {
        let state = NSTemporaryDirectory() + "multica-db-flag-\(UUID().uuidString)"
        let viaFlag = try await CLI.run(["serve", "--listen", "127.0.0.1:0", "--db", url],
                                        environment: CLI.environment(extra: ["MULTICA_HOME": state]))
        #expect(viaFlag.code == 2)
        #expect(viaFlag.stderr.contains("--db: invalid PostgreSQL URL"))
        #expect(!viaFlag.stderr.contains("TopSecret42") && !viaFlag.stdout.contains("TopSecret42"))
        let viaEnvironment = try await CLI.run(
            ["serve", "--listen", "127.0.0.1:0"],
            environment: CLI.environment(extra: ["MULTICA_HOME": state, "MULTICA_DATABASE_URL": url]))
        #expect(viaEnvironment.code == 2)
        #expect(viaEnvironment.stderr.contains("MULTICA_DATABASE_URL: invalid PostgreSQL URL"))
        #expect(!viaEnvironment.stderr.contains("TopSecret42"))
        // Nothing was created on disk: a postgres:// value never becomes a SQLite file.
        #expect(!FileManager.default.fileExists(atPath: state + "/multica.db"))
        let cwdEntries = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        #expect(!cwdEntries.contains { $0.hasPrefix("postgres") })
    }

    @Test func helpDocumentsTheURLWithoutAnySecret() async throws {
        let r = try await CLI.run(["serve", "--help"],
                                  environment: CLI.environment(extra: ["MULTICA_DATABASE_URL": "postgres://u:TopSecret42@h/d"]))
        #expect(r.code == 0)
        #expect(r.stdout.contains("postgres://USER:PASSWORD@HOST:PORT/DB"))
        #expect(r.stdout.contains("MULTICA_DATABASE_URL"))
        #expect(!r.stdout.contains("TopSecret42"))
    }
}
