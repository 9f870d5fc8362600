import Foundation

/// Generates ids of the form `prefix_` + 26 lower-case base-32 characters:
/// 48 bits of milliseconds then 80 random bits, so ids sort by creation time.
public enum Identifier {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    public static func make(_ prefix: String, now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var chars = [UInt8](repeating: 0, count: 26)
        var time = millis
        for i in stride(from: 9, through: 0, by: -1) {
            chars[i] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits from two draws (each draw is a system call on Linux; one per
        // character would be sixteen).
        var random = generator.next() as UInt64
        let more = generator.next() as UInt64
        for i in 10..<26 {
            if i == 22 { random = more }
            chars[i] = alphabet[Int(random & 31)]
            random >>= 5
        }
        return prefix + "_" + String(decoding: chars, as: UTF8.self)
    }
}
