import Foundation

/// Why no usable JWT secret could be obtained.
public enum SecretError: Error, Equatable, CustomStringConvertible {
    /// `MULTICA_JWT_SECRET` (or a secret handed to `TokenService`) is shorter than 32 bytes.
    case tooShort(Int)
    /// The secret file exists but holds fewer than 32 bytes (path, byte count).
    case fileTooShort(String, Int)
    /// The secret file could not be read (path, reason).
    case unreadable(String, String)
    /// The secret file or its folder could not be created (path, reason).
    case unwritable(String, String)
    /// No env secret and no secret file, and creating one was not asked for (path).
    case missing(String)

    public var description: String {
        let minimum = TokenService.minimumSecretLength
        switch self {
        case .tooShort(let n):
            return "JWT secret is too short: \(n) bytes, at least \(minimum) are required (MULTICA_JWT_SECRET)"
        case .fileTooShort(let path, let n):
            return "JWT secret in \(path) is too short: \(n) bytes, at least \(minimum) are required"
        case .unreadable(let path, let reason):
            return "cannot read JWT secret \(path): \(reason)"
        case .unwritable(let path, let reason):
            return "cannot create JWT secret \(path): \(reason)"
        case .missing(let path):
            return "no JWT secret: set MULTICA_JWT_SECRET or create \(path) (serve and token mint create it)"
        }
    }
}

/// The multica state folder.
public enum MulticaHome {
    /// `$MULTICA_HOME` when set and not empty (a leading `~/` is expanded), else `~/.multica`.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        if let value = environment["MULTICA_HOME"], !value.isEmpty {
            if value == "~" { return home }
            if value.hasPrefix("~/") { return home + value.dropFirst(1) }
            return value
        }
        return (home as NSString).appendingPathComponent(".multica")
    }
}

/// Finds the HS256 secret (SPEC §3).
///
/// `MULTICA_JWT_SECRET` (its UTF-8 bytes; an empty value counts as unset) wins; otherwise
/// the trimmed contents of `$MULTICA_HOME/jwt-secret`. A missing file is created
/// (folder 0700, file 0600) holding 48 random bytes as 96 hex characters.
public enum SecretResolver {
    public static let environmentVariable = "MULTICA_JWT_SECRET"
    public static let fileName = "jwt-secret"

    public static func secretFilePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        (MulticaHome.directory(environment: environment) as NSString).appendingPathComponent(fileName)
    }

    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SecretError) -> [UInt8] {
        try resolve(environment: environment, createIfMissing: true)
    }

    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        createIfMissing: Bool
    ) throws(SecretError) -> [UInt8] {
        if let value = environment[environmentVariable], !value.isEmpty {
            let bytes = Array(value.utf8)
            guard bytes.count >= TokenService.minimumSecretLength else { throw .tooShort(bytes.count) }
            return bytes
        }
        let directory = MulticaHome.directory(environment: environment)
        let path = secretFilePath(environment: environment)
        if !FileManager.default.fileExists(atPath: path) {
            guard createIfMissing else { throw .missing(path) }
            try create(path: path, directory: directory)
        }
        return try read(path: path)
    }

    private static func read(path: String) throws(SecretError) -> [UInt8] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path, error.localizedDescription)
        }
        let bytes = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard bytes.count >= TokenService.minimumSecretLength else { throw .fileTooShort(path, bytes.count) }
        return bytes
    }

    private static func create(path: String, directory: String) throws(SecretError) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw .unwritable(path, error.localizedDescription)
            }
            guard chmod(directory, 0o700) == 0 else { throw .unwritable(path, errnoText()) }
        } else if !isDirectory.boolValue {
            throw .unwritable(path, "\(directory) is not a folder")
        }

        var generator = SystemRandomNumberGenerator()
        let random = (0..<48).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let hex = random.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
        let contents = Array((hex + "\n").utf8)

        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            // Another process created it first: use theirs.
            if errno == EEXIST { return }
            throw .unwritable(path, errnoText())
        }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw .unwritable(path, errnoText()) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count else { throw .unwritable(path, errnoText()) }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
