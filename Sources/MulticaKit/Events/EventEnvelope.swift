import Foundation

/// One event as it is stored in the log and sent on the wire (SPEC §5).
///
/// `seq` is assigned by the event log: per workspace, from 1, with no gaps. The
/// payload is carried as raw bytes so that it is relayed exactly as it was built or
/// sent. The wire form is produced by `frame()`, once per event; `Codable` is there
/// for tools and tests, and re-encodes the payload through `JSONValue`.
public struct EventEnvelope: Sendable, Hashable {
    public var id: String
    public var seq: Int64
    public var type: EventType
    /// `""` for events of no workspace (`daemon:*`).
    public var workspaceID: String
    public var actorType: ActorType
    public var actorID: String
    /// Millisecond precision; the log stores milliseconds since 1970.
    public var timestamp: Date
    public var synthetic: Bool
    public var payload: RawJSONObject

    public init(
        id: String, seq: Int64, type: EventType, workspaceID: String, actorType: ActorType,
        actorID: String, timestamp: Date, synthetic: Bool, payload: RawJSONObject
    ) {
        self.id = id
        self.seq = seq
        self.type = type
        self.workspaceID = workspaceID
        self.actorType = actorType
        self.actorID = actorID
        self.timestamp = timestamp
        self.synthetic = synthetic
        self.payload = payload
    }

    /// The recipient of a personal (`inbox:*`) event, read from its payload:
    /// `item.recipient_id` for `inbox:new`, `recipient_id` for the others.
    public var recipientID: String? {
        if let direct = payload.string("recipient_id") { return direct }
        guard let item = payload.member("item"), let object = try? RawJSONObject(validating: Array(item)) else { return nil }
        return object.string("recipient_id")
    }

    /// The JSON text frame: keys in the order of SPEC §5, payload bytes as they are.
    public func frame() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.bytes.count + 256)
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONString.append(id, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","type":"#.utf8)
        JSONString.append(type.rawValue, to: &out)
        out.append(contentsOf: #","workspace_id":"#.utf8)
        JSONString.append(workspaceID, to: &out)
        out.append(contentsOf: #","actor_type":"#.utf8)
        JSONString.append(actorType.rawValue, to: &out)
        out.append(contentsOf: #","actor_id":"#.utf8)
        JSONString.append(actorID, to: &out)
        out.append(contentsOf: #","ts":""#.utf8)
        Timestamp.append(millisecondsSince1970: Int64((timestamp.timeIntervalSince1970 * 1000).rounded(.down)), to: &out)
        out.append(contentsOf: #"","synthetic":"#.utf8)
        out.append(contentsOf: (synthetic ? "true" : "false").utf8)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: payload.bytes)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Errors from `init(frame:)`, each naming what was wrong.
    public enum FrameError: Error, CustomStringConvertible, Equatable {
        case syntax(JSONScanner.SyntaxError)
        case missingField(String)
        case invalidField(String)
        public var description: String {
            switch self {
            case .syntax(let error): return "malformed event frame: \(error)"
            case .missingField(let name): return "event frame has no '\(name)'"
            case .invalidField(let name): return "event frame has an invalid '\(name)'"
            }
        }
    }

    /// Parses a frame produced by `frame()` (or any JSON object of the same fields),
    /// keeping the payload bytes exactly as received.
    public init(frame bytes: [UInt8]) throws(FrameError) {
        let members: [JSONScanner.Member]
        do { members = try JSONScanner.objectMembers(bytes) } catch { throw .syntax(error) }
        var fields: [String: ArraySlice<UInt8>] = [:]
        for member in members { fields[member.key] = bytes[member.valueRange] }
        func raw(_ name: String) throws(FrameError) -> ArraySlice<UInt8> {
            guard let value = fields[name] else { throw .missingField(name) }
            return value
        }
        func decode<T: Decodable>(_ name: String, as: T.Type) throws(FrameError) -> T {
            let value = try raw(name)
            guard let decoded = try? EventJSON.decoder.decode(T.self, from: Data(value)) else { throw .invalidField(name) }
            return decoded
        }
        let typeName = try decode("type", as: String.self)
        guard let type = EventType(rawValue: typeName) else { throw .invalidField("type") }
        guard let actorType = ActorType(rawValue: try decode("actor_type", as: String.self)) else { throw .invalidField("actor_type") }
        guard let timestamp = Timestamp.parse(try decode("ts", as: String.self)) else { throw .invalidField("ts") }
        let payloadBytes = try raw("payload")
        guard payloadBytes.first == UInt8(ascii: "{") else { throw .invalidField("payload") }
        self.init(
            id: try decode("id", as: String.self),
            seq: try decode("seq", as: Int64.self),
            type: type,
            workspaceID: try decode("workspace_id", as: String.self),
            actorType: actorType,
            actorID: try decode("actor_id", as: String.self),
            timestamp: timestamp,
            synthetic: try decode("synthetic", as: Bool.self),
            payload: RawJSONObject(trusted: Array(payloadBytes))
        )
    }
}

extension EventEnvelope: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, seq, type, ts, synthetic, payload
        case workspaceID = "workspace_id"
        case actorType = "actor_type"
        case actorID = "actor_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let tsString = try c.decode(String.self, forKey: .ts)
        guard let ts = Timestamp.parse(tsString) else {
            throw DecodingError.dataCorruptedError(forKey: .ts, in: c, debugDescription: "not an RFC 3339 timestamp")
        }
        let payloadValue = try c.decode(JSONValue.self, forKey: .payload)
        guard case .object = payloadValue else {
            throw DecodingError.dataCorruptedError(forKey: .payload, in: c, debugDescription: "payload must be a JSON object")
        }
        self.init(
            id: try c.decode(String.self, forKey: .id),
            seq: try c.decode(Int64.self, forKey: .seq),
            type: try c.decode(EventType.self, forKey: .type),
            workspaceID: try c.decode(String.self, forKey: .workspaceID),
            actorType: try c.decode(ActorType.self, forKey: .actorType),
            actorID: try c.decode(String.self, forKey: .actorID),
            timestamp: ts,
            synthetic: try c.decode(Bool.self, forKey: .synthetic),
            payload: try RawJSONObject(encoding: payloadValue)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(seq, forKey: .seq)
        try c.encode(type, forKey: .type)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(actorType, forKey: .actorType)
        try c.encode(actorID, forKey: .actorID)
        try c.encode(Timestamp.format(timestamp), forKey: .ts)
        try c.encode(synthetic, forKey: .synthetic)
        try c.encode(try EventJSON.decoder.decode(JSONValue.self, from: Data(payload.bytes)), forKey: .payload)
    }
}

/// Appends JSON string literals without going through `JSONEncoder`: `\"`, `\\`,
/// `\n \r \t`, `\u00xx` for the other control characters (or `\b \f`, as Foundation
/// writes them, with `shortControlEscapes`); everything else (slashes, non-ASCII) as is.
/// Runs of plain bytes are copied at once: this builds every frame a socket gets.
enum JSONString {
    static func append(_ string: String, to out: inout [UInt8], shortControlEscapes: Bool = false) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                if start < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                start = index + 1
                out.append(0x5C)
                switch byte {
                case 0x22, 0x5C: out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08 where shortControlEscapes: out.append(UInt8(ascii: "b"))
                case 0x0C where shortControlEscapes: out.append(UInt8(ascii: "f"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30])
                    hex.withUTF8Buffer { digits in
                        out.append(digits[Int(byte >> 4)])
                        out.append(digits[Int(byte & 0xF)])
                    }
                }
            }
            if start < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
