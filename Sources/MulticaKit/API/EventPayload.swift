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
}
