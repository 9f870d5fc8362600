#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process exit codes (SPEC §2).
enum ExitCode: Int32, Sendable {
    case success = 0
    /// The operation failed: invalid token, isolation violated, server error.
    case failure = 1
    /// Unknown command or flag, bad value.
    case usage = 2
    /// Server unreachable.
    case unreachable = 3
}

/// An error that ends the command with a message on stderr and an exit code.
struct CLIError: Error, Sendable {
    var code: ExitCode
    var message: String

    static func usage(_ message: String) -> CLIError { CLIError(code: .usage, message: message) }
    static func failure(_ message: String) -> CLIError { CLIError(code: .failure, message: message) }
    static func unreachable(_ message: String) -> CLIError { CLIError(code: .unreachable, message: message) }
}
