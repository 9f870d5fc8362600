/// A strict, allocation-light JSON validator that also reports where top-level
/// object members start and end.
///
/// Synthetic payloads must be relayed byte for byte (SPEC §6: key order and number
/// formatting kept, a 19-digit integer arrives exactly as sent), so multica never
/// decodes a payload into a dictionary on the wire path. This scanner checks that
/// bytes are one well-formed JSON value (RFC 8259) and, for an object, returns the
/// byte ranges of its members, which is all the envelope code needs.
///
/// Pure value type; safe to use from any thread.
public struct JSONScanner {
    /// A syntax error with a 1-based line and column, as an editor shows them.
    public struct SyntaxError: Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        public let line: Int
        public let column: Int
        public let offset: Int
        public var description: String { "\(message) at line \(line), column \(column)" }
    }

    /// One member of a top-level object: the decoded key and the byte range of its value.
    public struct Member: Sendable {
        public let key: String
        public let valueRange: Range<Int>
    }

    private let bytes: [UInt8]
    private var index = 0
    /// Nesting depth guard: a hostile payload of 100k `[` must not blow the stack.
    private let maxDepth = 512

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Validates that `bytes` hold exactly one JSON value, surrounded only by whitespace.
    public static func validate(_ bytes: [UInt8]) throws(SyntaxError) {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        try scanner.value(depth: 0)
        scanner.skipWhitespace()
        if scanner.index != bytes.count { throw scanner.error("unexpected data after the JSON value") }
    }

    /// Validates `bytes` as one JSON object and returns its members in document order.
    public static func objectMembers(_ bytes: [UInt8]) throws(SyntaxError) -> [Member] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else {
            throw scanner.error(scanner.index >= bytes.count ? "empty input, expected a JSON object" : "expected a JSON object")
        }
        let members = try scanner.object(depth: 0, collect: true)
        scanner.skipWhitespace()
        if scanner.index != bytes.count { throw scanner.error("unexpected data after the JSON value") }
        return members
    }

    /// Decodes `bytes` if they are exactly one JSON string literal; nil otherwise.
    /// (Cheaper than a `JSONDecoder` for the few string fields the wire path reads.)
    public static func decodeString(_ bytes: ArraySlice<UInt8>) -> String? {
        var scanner = JSONScanner(Array(bytes))
        guard scanner.peek() == UInt8(ascii: "\""), let value = try? scanner.string(decode: true),
              scanner.index == scanner.bytes.count
        else { return nil }
        return value
    }

    /// Validates `bytes` as one JSON array and returns the byte range of each element.
    public static func arrayElements(_ bytes: [UInt8]) throws(SyntaxError) -> [Range<Int>] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "[") else { throw scanner.error("expected a JSON array") }
        scanner.index += 1
        var elements: [Range<Int>] = []
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            loop: while true {
                scanner.skipWhitespace()
                let start = scanner.index
                try scanner.value(depth: 1)
                elements.append(start..<scanner.index)
                scanner.skipWhitespace()
                switch scanner.peek() {
                case UInt8(ascii: ","): scanner.index += 1
                case UInt8(ascii: "]"): scanner.index += 1; break loop
                case nil: throw scanner.error("unexpected end of input, expected ',' or ']'")
                default: throw scanner.error("expected ',' or ']'")
                }
            }
        }
        scanner.skipWhitespace()
        if scanner.index != bytes.count { throw scanner.error("unexpected data after the JSON value") }
        return elements
    }

    // MARK: - Grammar

    private mutating func value(depth: Int) throws(SyntaxError) {
        guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): _ = try object(depth: depth, collect: false)
        case UInt8(ascii: "["): try array(depth: depth)
        case UInt8(ascii: "\""): _ = try string(decode: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw error("unexpected character '\(Self.printable(byte))'")
        }
    }

    private mutating func object(depth: Int, collect: Bool) throws(SyntaxError) -> [Member] {
        index += 1  // '{'
        var members: [Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return members }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string(decode: collect)
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after key") }
            index += 1
            skipWhitespace()
            let start = index
            try value(depth: depth + 1)
            if collect { members.append(Member(key: key ?? "", valueRange: start..<index)) }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return members
            case nil: throw error("unexpected end of input, expected ',' or '}'")
            default: throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(SyntaxError) {
        index += 1  // '['
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            skipWhitespace()
            try value(depth: depth + 1)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return
            case nil: throw error("unexpected end of input, expected ',' or ']'")
            default: throw error("expected ',' or ']'")
            }
        }
    }

    /// Scans a string starting at its opening quote; decodes it only when asked.
    private mutating func string(decode: Bool) throws(SyntaxError) -> String? {
        index += 1  // opening quote
        let start = index
        var hasEscape = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = bytes[start..<index]
                index += 1
                guard decode else { return nil }
                if !hasEscape { return String(decoding: raw, as: UTF8.self) }
                return Self.unescape(raw)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscape = true
                index += 1
                guard let escaped = peek() else { break }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let hex = peek(), Self.hexValue(hex) != nil else { throw error("invalid \\u escape") }
                        index += 1
                    }
                default: throw error("invalid escape '\\\(Self.printable(escaped))'")
                }
                continue
            }
            if byte < 0x20 { throw error("control character in string") }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func number() throws(SyntaxError) {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), Self.isDigit(first) else { throw error("invalid number") }
        index += 1
        if first != UInt8(ascii: "0") {
            while let d = peek(), Self.isDigit(d) { index += 1 }
        } else if let d = peek(), Self.isDigit(d) {
            // RFC 8259 §6: no leading zeros. Name the whole number, at its start.
            var end = index
            while end < bytes.count, end - start < 40, Self.isNumberByte(bytes[end]) { end += 1 }
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            index = start
            throw error("invalid number '\(text)': leading zero")
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), Self.isDigit(d) else { throw error("invalid number: digit expected after '.'") }
            while let d = peek(), Self.isDigit(d) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), Self.isDigit(d) else { throw error("invalid number: digit expected in exponent") }
            while let d = peek(), Self.isDigit(d) { index += 1 }
        }
    }

    private mutating func literal(_ word: String) throws(SyntaxError) {
        let expected = Array(word.utf8)
        let count = expected.count
        let matches = index + count <= bytes.count && bytes[index..<(index + count)].elementsEqual(expected)
        guard matches else { throw error("invalid literal, expected '\(word)'") }
        index += count
    }

    // MARK: - Helpers

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
    }

    private func error(_ message: String) -> SyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(index, bytes.count)] {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SyntaxError(message: message, line: line, column: column, offset: index)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Bytes that can appear in a JSON number, for quoting one in an error.
    private static func isNumberByte(_ b: UInt8) -> Bool {
        isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private static func printable(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : String(format: "\\x%02X", b)
    }

    /// Decodes the escapes of a string body already validated by `string(decode:)`.
    private static func unescape(_ raw: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var i = raw.startIndex
        func flush() { if !utf8.isEmpty { scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars); utf8.removeAll() } }
        func hex4(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 4 | (hexValue(raw[at + $1]) ?? 0) } }
        while i < raw.endIndex {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else { utf8.append(b); i += 1; continue }
            flush()
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= raw.endIndex, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") {
                    let low = hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(e))
            }
        }
        flush()
        return String(scalars)
    }
}
