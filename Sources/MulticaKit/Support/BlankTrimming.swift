import Foundation

extension StringProtocol where UTF8View: BidirectionalCollection {
    /// `trimmingCharacters(in: .whitespaces)`, without Foundation's bridging on the
    /// common case: a string whose first and last bytes are ASCII and not blank comes
    /// back as is; anything else goes through Foundation, so the answer is the same.
    var trimmingBlanks: String {
        untrimmed(keeps: { $0 != 0x20 && $0 != 0x09 }) ?? trimmingCharacters(in: .whitespaces)
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, with the same fast path.
    var trimmingBlanksAndNewlines: String {
        untrimmed(keeps: { $0 != 0x20 && !(0x09...0x0D).contains($0) }) ?? trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The string itself when both its end bytes are ASCII that `keeps` accepts (so no
    /// trimming could apply); nil when Foundation must decide.
    private func untrimmed(keeps: (UInt8) -> Bool) -> String? {
        guard let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80, keeps(first), keeps(last) else {
            return nil
        }
        return String(self)
    }
}
