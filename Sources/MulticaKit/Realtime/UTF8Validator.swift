/// An incremental UTF-8 validator (RFC 3629: no overlongs, no surrogates, nothing past
/// U+10FFFF), fed one fragment at a time.
///
/// Why incremental: a text message may arrive in many fragments; RFC 6455 §8.1 lets
/// the endpoint fail as soon as the bytes so far cannot start valid UTF-8, so a peer
/// cannot make the server buffer a whole message of garbage before it learns (1007).
///
/// Value type, no shared state.
struct UTF8Validator {
    /// Continuation bytes still expected for the current scalar.
    private var needed = 0
    /// Bounds of the next continuation byte (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Feeds `bytes`; false as soon as they cannot be part of valid UTF-8.
    mutating func consume(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            if needed == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default: return false
                }
            } else {
                guard byte >= lower && byte <= upper else { return false }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
        }
        return true
    }

    /// True when the bytes so far end on a scalar boundary.
    var isComplete: Bool { needed == 0 }

    /// Whether `bytes` are, as a whole, valid UTF-8.
    static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        return validator.consume(bytes) && validator.isComplete
    }
}
