/// Durations on the command line: a number and a unit, `s`, `m`, `h` or `d`
/// (`90s`, `15m`, `72h`, `7d`), or several with units in decreasing order (`1h30m`).
enum DurationParser {
    private static let units: [(Character, Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
    /// Ten years: more is certainly a typo.
    static let maximumSeconds: Int64 = 10 * 366 * 86_400

    /// Seconds, or nil when `text` is not a duration.
    static func seconds(_ text: String) -> Int64? {
        guard !text.isEmpty else { return nil }
        var total: Int64 = 0
        var number: Int64? = nil
        var lastUnitIndex = -1
        for ch in text {
            if let digit = ch.wholeNumberValue, ch.isASCII {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (n, o2) = m.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                number = n
            } else if let index = units.firstIndex(where: { $0.0 == ch }) {
                guard let n = number, index > lastUnitIndex else { return nil }
                let (part, o1) = n.multipliedReportingOverflow(by: units[index].1)
                let (sum, o2) = total.addingReportingOverflow(part)
                guard !o1, !o2 else { return nil }
                total = sum
                number = nil
                lastUnitIndex = index
            } else {
                return nil
            }
        }
        guard number == nil, total <= maximumSeconds else { return nil }
        return total
    }

    /// Renders seconds back in the same notation (`86400` → `1d`, `5400` → `1h30m`).
    static func format(_ seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, size) in units where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }
}
