import MulticaKit

/// The JSON scanner and `RawJSONObject`: validation, member ranges, array elements and
/// string decoding must never crash, and must agree with each other.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let valid = (try? JSONScanner.validate(bytes)) != nil
    if let members = try? JSONScanner.objectMembers(bytes) {
        precondition(valid, "objectMembers accepted what validate refused")
        for member in members {
            precondition(member.valueRange.lowerBound >= 0 && member.valueRange.upperBound <= bytes.count)
            precondition((try? JSONScanner.validate(Array(bytes[member.valueRange]))) != nil, "a member value is not valid JSON")
        }
        let object = try? RawJSONObject(validating: bytes)
        precondition(object != nil, "RawJSONObject refused a valid object")
        if let object, let first = members.first {
            _ = object.member(first.key)
            _ = object.string(first.key)
        }
    }
    if let elements = try? JSONScanner.arrayElements(bytes) {
        precondition(valid, "arrayElements accepted what validate refused")
        for range in elements { precondition(range.upperBound <= bytes.count) }
    }
    _ = JSONScanner.decodeString(bytes[...])
    return 0
}
