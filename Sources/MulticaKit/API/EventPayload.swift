/// Builds event payloads — JSON objects of named members — from our Codable records,
/// with the same coder as everything else multica writes (`JSONCoding`).
enum EventPayload {
    static func make(_ members: [(String, any Encodable)]) throws -> RawJSONObject {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(key, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: try JSONCoding.encode(any: value))
        }
        out.append(UInt8(ascii: "}"))
        return RawJSONObject(trusted: out)
    }

    /// `{"key": json}` for a value the caller has encoded with `JSONCoding` already, so a
    /// route that answers with the same object encodes it once.
    static func make(_ key: String, encoded json: [UInt8]) -> RawJSONObject {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(json.count + key.utf8.count + 4)
        JSONString.append(key, to: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: json)
        out.append(UInt8(ascii: "}"))
        return RawJSONObject(trusted: out)
    }
}
