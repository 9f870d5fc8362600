import Foundation

/// Times as the storage layer keeps them: whole milliseconds since 1970.
enum StorageClock {
    /// Now, truncated to the millisecond, so a record returned by a write equals the
    /// same record read back.
    static func now() -> Date { date(millis: millis(Date())) }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    static func date(millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// Truncates `date` to the millisecond.
    static func truncate(_ date: Date) -> Date { self.date(millis: millis(date)) }

    /// Parses the exact form `Timestamp.format` writes (`2026-11-29T12:00:00.123Z`)
    /// without a formatter; anything else goes through `Timestamp.parse`.
    static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
              b[19] == 0x2E, b[23] == 0x5A
        else { return Timestamp.parse(text) }
        func num(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                let d = Int(b[i]) - 48
                guard (0...9).contains(d) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), let hour = num(11, 2),
              let minute = num(14, 2), let second = num(17, 2), let ms = num(20, 3),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return Timestamp.parse(text) }
        // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        let millis = ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(ms)
        return date(millis: millis)
    }
}
