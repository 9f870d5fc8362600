/// The bytes of one JSON object, validated once and never re-encoded.
///
/// Event payloads are stored and relayed exactly as they were built or sent
/// (SPEC §6), so the envelope carries them as bytes. Server-built payloads come from
/// `JSONEncoder`; synthetic ones from the client, checked by `JSONScanner`.
public struct RawJSONObject: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Validates `bytes` as one JSON object. Leading and trailing whitespace is trimmed
    /// so that the frame built around it stays compact.
    public init(validating bytes: [UInt8]) throws(JSONScanner.SyntaxError) {
        _ = try JSONScanner.objectMembers(bytes)
        var slice = bytes[...]
        while let first = slice.first, first == 0x20 || first == 0x0A || first == 0x0D || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x0A || last == 0x0D || last == 0x09 { slice.removeLast() }
        self.bytes = Array(slice)
    }

    public init(validating string: String) throws(JSONScanner.SyntaxError) {
        try self.init(validating: Array(string.utf8))
    }

    /// For bytes already known to be one JSON object (produced by `JSONEncoder` or read
    /// back from our own log). Not checked.
    public init(trusted bytes: [UInt8]) { self.bytes = bytes }

    /// Encodes a Codable value; the value must encode as a keyed container.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try EventJSON.encoder.encode(value)
        self.bytes = Array(data)
    }

    public static let empty = RawJSONObject(trusted: Array("{}".utf8))

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The raw bytes of a top-level member's value, if present.
    public func member(_ key: String) -> ArraySlice<UInt8>? {
        guard let members = try? JSONScanner.objectMembers(bytes) else { return nil }
        return members.first { $0.key == key }.map { bytes[$0.valueRange] }
    }

    /// A top-level member decoded as a string, if it is one.
    public func string(_ key: String) -> String? {
        member(key).flatMap(JSONScanner.decodeString)
    }
}

import Foundation

/// The JSON coders multica uses for everything it builds itself: ISO 8601 dates with
/// milliseconds and sorted keys, so the same value always has the same bytes.
public enum EventJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let raw = try container.decode(String.self)
            guard let date = Timestamp.parse(raw) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp: \(raw)")
            }
            return date
        }
        return decoder
    }
}
