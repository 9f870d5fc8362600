import Testing
@testable import MulticaKit

@Suite("Database location (--db / MULTICA_DATABASE_URL)")
struct DatabaseLocationTests {
    @Test func aPlainPathIsSQLite() throws {
        #expect(try DatabaseLocation.parse("/var/lib/multica/multica.db") == .sqlite(path: "/var/lib/multica/multica.db"))
        #expect(try DatabaseLocation.parse("relative.db") == .sqlite(path: "relative.db"))
    }

    @Test func postgresURLsParseIntoTheirParts() throws {
        let full = try PostgresLocation(url: "postgres://app:s3cr%40t@db.internal:6432/multica")
        #expect(full == PostgresLocation(host: "db.internal", port: 6432, user: "app", password: "s3cr@t", database: "multica"))
        let alias = try DatabaseLocation.parse("postgresql://app@127.0.0.1/multica?sslmode=disable")
        #expect(alias == .postgres(PostgresLocation(host: "127.0.0.1", port: 5432, user: "app", database: "multica")))
        let v6 = try PostgresLocation(url: "postgres://u:p@[::1]:5433/d")
        #expect(v6.host == "::1" && v6.port == 5433)
        let socket = try PostgresLocation(url: "postgres://u@%2Ftmp%2Fpg:5432/d")
        #expect(socket.isSocketDirectory && socket.host == "/tmp/pg")
        #expect(try DatabaseLocation.parse("POSTGRES://u@h/d") == .postgres(PostgresLocation(host: "h", user: "u", database: "d")))
    }

    @Test(arguments: [
        "postgres://", "postgres://u:secretpw@h:99999/d", "postgres://u:secretpw@h:abc/d", "postgres://u:secretpw@h",
        "postgres://u:secretpw@h/", "postgres://:secretpw@h/d", "postgres://u:secretpw@/d",
        "postgres://u:secretpw@h/d?sslmode=require", "postgres://u:secretpw@h/d?bogus=1", "postgres://h/d",
        "postgres://u:secretpw@[::1/d",
    ])
    func malformedPostgresURLsAreRefusedWithoutThePassword(_ url: String) {
        do {
            _ = try DatabaseLocation.parse(url)
            Issue.record("\(url) was accepted")
        } catch let error as DatabaseLocationError {
            #expect(error.reason.contains("invalid PostgreSQL URL"))
            #expect(!error.reason.contains("secretpw"), "the password leaked: \(error.reason)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theDescriptionNeverShowsThePassword() throws {
        let location = try PostgresLocation(url: "postgres://app:hunter2hunter2@db:5432/multica")
        #expect(location.description == "postgres://app:***@db:5432/multica")
        #expect(DatabaseLocation.postgres(location).description == "postgres://app:***@db:5432/multica")
        #expect(!"\(location)".contains("hunter2"))
        #expect(PostgresLocation(host: "::1", user: "u", database: "d").description == "postgres://u@[::1]:5432/d")
    }

    @Test func serverConfigurationSelectsTheBackend() throws {
        var configuration = ServerConfiguration(databasePath: "/tmp/x.db", jwtSecret: [])
        #expect(configuration.database == .sqlite(path: "/tmp/x.db"))
        let location = PostgresLocation(host: "h", user: "u", database: "d")
        configuration.database = .postgres(location)
        #expect(configuration.postgres == location)
        configuration.database = .sqlite(path: "/tmp/y.db")
        #expect(configuration.postgres == nil && configuration.databasePath == "/tmp/y.db")
    }
}
