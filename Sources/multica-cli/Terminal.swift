import Foundation

/// Where output goes and whether it is coloured.
struct Terminal: Sendable {
    var color: Bool
    var stdoutIsTTY: Bool
    var stderrIsTTY: Bool

    /// `--color auto` colours only on a terminal and when `NO_COLOR` is unset or empty
    /// (and `TERM` is not `dumb`); `always` and `never` override both.
    init(colorMode: String?, environment: [String: String]) {
        stdoutIsTTY = isatty(STDOUT_FILENO) == 1
        stderrIsTTY = isatty(STDERR_FILENO) == 1
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
    func red(_ s: String) -> String { paint(s, 31) }
    func yellow(_ s: String) -> String { paint(s, 33) }
    func blue(_ s: String) -> String { paint(s, 34) }
    func magenta(_ s: String) -> String { paint(s, 35) }
    func cyan(_ s: String) -> String { paint(s, 36) }
    func paint(_ s: String, _ code: Int) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// Writes text as is (no newline added).
    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes bytes and a newline to stdout in one write, so each line is flushed whole.
    func outLine(_ bytes: [UInt8]) {
        var line = bytes
        line.append(0x0A)
        FileHandle.standardOutput.write(Data(line))
    }

    /// Overwrites the current stderr line (progress on a terminal).
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
    }

    func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
