import Foundation

/// A value that writes its own JSON, byte for byte what `EventJSON.encoder` (sorted
/// keys, no escaped slashes, `Timestamp` dates) makes of it, without Foundation's
/// encoder: the hot routes' records (`Issue`) conform, so answering a request or
/// building an event payload costs one pass over the fields instead of a boxed
/// `Encoder` tree.
///
/// `JSONCoding.encode` uses the writer whenever a value conforms and falls back to
/// `EventJSON.encoder` otherwise; tests check the two agree.
protocol JSONWritable: Encodable {
    func write(to writer: inout JSONWriter) throws
}

/// A growing buffer of JSON bytes with Foundation-compatible scalars.
///
/// Threading: a value type used by one caller. Failure: a non-finite number throws
/// `EncodingError.invalidValue`, as `JSONEncoder` does.
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// `"key":` — keys are written by the conformer in sorted order.
    mutating func key(_ text: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string with JSONEncoder's escapes (`\b` and `\f` short, as Foundation writes them).
    mutating func string(_ value: String) {
        JSONString.append(value, to: &bytes, shortControlEscapes: true)
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// As JSONEncoder writes a Double: its `description`, less a trailing `.0`.
    mutating func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(value) is not valid JSON"))
        }
        // Integral values (issue positions mostly are) as integer digits, which is what
        // the description gives below 1e16 once ".0" is cut, without building a string.
        // Negative zero keeps its sign through the description.
        if value.magnitude < 1e15, value.rounded(.towardZero) == value, value != 0 || value.sign == .plus {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            digits(Int(value.magnitude), 1)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A date as `Timestamp.format` writes it (`2026-11-29T12:00:00.123Z`), quoted.
    mutating func date(_ value: Date) {
        let millis = Int64((value.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let ms = Int(millis - seconds * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        bytes.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(ms, 3)
        raw("Z\"")
    }

    mutating func date(_ value: Date?) {
        if let value { date(value) } else { raw("null") }
    }

    /// `value` zero-padded to at least `width` digits (negative years as `String` does).
    private mutating func digits(_ value: Int, _ width: Int) {
        guard value >= 0 else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var n = value
            var count = 0
            repeat {
                buffer[buffer.count - 1 - count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            } while n > 0
            while count < width {
                buffer[buffer.count - 1 - count] = 48
                count += 1
            }
            bytes.append(contentsOf: buffer[(buffer.count - count)...])
        }
    }

    mutating func value<T: JSONWritable>(_ value: T) throws {
        try value.write(to: &self)
    }

    mutating func value<T: JSONWritable>(_ value: T?) throws {
        if let value { try value.write(to: &self) } else { raw("null") }
    }
}

extension String: JSONWritable {
    func write(to writer: inout JSONWriter) throws { writer.string(self) }
}

extension Array: JSONWritable where Element: JSONWritable {
    func write(to writer: inout JSONWriter) throws {
        writer.byte(UInt8(ascii: "["))
        for (index, element) in enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            try element.write(to: &writer)
        }
        writer.byte(UInt8(ascii: "]"))
    }
}

extension JSONValue: JSONWritable {
    func write(to writer: inout JSONWriter) throws {
        switch self {
        case .null: writer.raw("null")
        case .bool(let value): writer.bool(value)
        case .int(let value): writer.integer(value)
        case .double(let value): try writer.double(value)
        case .string(let value): writer.string(value)
        case .array(let values): try values.write(to: &writer)
        case .object(let members):
            writer.byte(UInt8(ascii: "{"))
            // JSONEncoder's `.sortedKeys` order: String's `<`.
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(key)
                writer.byte(UInt8(ascii: ":"))
                try members[key]!.write(to: &writer)
            }
            writer.byte(UInt8(ascii: "}"))
        }
    }
}

/// The one place multica's own values become JSON bytes: the writer when the value
/// has one, `EventJSON.encoder` otherwise.
enum JSONCoding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var writer = JSONWriter()
            try writable.write(to: &writer)
            return writer.bytes
        }
        return Array(try EventJSON.encoder.encode(value))
    }

    /// For values typed `any Encodable` (event payload members).
    static func encode(any value: any Encodable) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var writer = JSONWriter()
            try writable.write(to: &writer)
            return writer.bytes
        }
        return Array(try EventJSON.encoder.encode(value))
    }
}
