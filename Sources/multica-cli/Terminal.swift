import Foundation

/// Where output goes and whether it is coloured.
struct Terminal: Sendable {
    var color: Bool
    var stdoutIsTTY: Bool

    /// `--color auto` colours only on a terminal and when `NO_COLOR` is unset or empty
    /// (and `TERM` is not `dumb`); `always` and `never` override both.
    init(colorMode: String?, environment: [String: String]) {
        stdoutIsTTY = isatty(STDOUT_FILENO) == 1
        switch colorMode ?? "auto" {
        case "always": color = true
        case "never": color = false
        default:
            let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
            color = stdoutIsTTY && !noColor && environment["TERM"] != "dumb"
        }
    }

    func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func green(_ s: String) -> String { color ? "\u{1B}[32m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }

    func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
