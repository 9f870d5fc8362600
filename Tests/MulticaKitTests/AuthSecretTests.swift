import Foundation
import MulticaKit
import Testing

@Suite struct AuthSecretTests {
    func tempHome() -> String {
        let base = NSTemporaryDirectory() + "multica-secret-\(UUID().uuidString)"
        return base + "/nested/home"
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func environmentSecretWins() throws {
        let value = String(repeating: "k", count: 40)
        let env = ["MULTICA_JWT_SECRET": value, "MULTICA_HOME": tempHome()]
        #expect(try SecretResolver.resolve(environment: env) == Array(value.utf8))
        #expect(!FileManager.default.fileExists(atPath: SecretResolver.secretFilePath(environment: env)))
    }

    @Test func shortEnvironmentSecretIsRejectedWithMinimum() {
        let env = ["MULTICA_JWT_SECRET": "too-short", "MULTICA_HOME": tempHome()]
        #expect(throws: SecretError.tooShort(9)) { try SecretResolver.resolve(environment: env) }
        #expect(SecretError.tooShort(9).description.contains("at least 32"))
    }

    @Test func fileIsCreatedWithModesAndReused() throws {
        let home = tempHome()
        let env = ["MULTICA_HOME": home]
        let first = try SecretResolver.resolve(environment: env)
        let path = home + "/jwt-secret"
        #expect(try mode(path) == 0o600)
        #expect(try mode(home) == 0o700)
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.count == 96)
        #expect(text.allSatisfy { $0.isHexDigit })
        #expect(first == Array(text.utf8))
        #expect(try SecretResolver.resolve(environment: env) == first)
        _ = try TokenService(secret: first)
    }

    @Test func shortFileSecretIsRejected() throws {
        let home = tempHome()
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "short\n".write(toFile: home + "/jwt-secret", atomically: true, encoding: .utf8)
        #expect(throws: SecretError.fileTooShort(home + "/jwt-secret", 5)) {
            try SecretResolver.resolve(environment: ["MULTICA_HOME": home])
        }
    }

    @Test func missingFileWithoutCreationIsReported() {
        let home = tempHome()
        #expect(throws: SecretError.missing(home + "/jwt-secret")) {
            try SecretResolver.resolve(environment: ["MULTICA_HOME": home], createIfMissing: false)
        }
        #expect(!FileManager.default.fileExists(atPath: home))
    }

    @Test func homeDirectoryDefaults() {
        #expect(MulticaHome.directory(environment: ["MULTICA_HOME": "/x/y", "HOME": "/h"]) == "/x/y")
        #expect(MulticaHome.directory(environment: ["HOME": "/h"]) == "/h/.multica")
        #expect(MulticaHome.directory(environment: ["MULTICA_HOME": "~/m", "HOME": "/h"]) == "/h/m")
    }
}
