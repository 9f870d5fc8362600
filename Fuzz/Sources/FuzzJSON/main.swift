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

// SwiftPM links an executable target with `main` renamed to `FuzzJSON_main` (so the
// target stays testable); libFuzzer's driver is then started from here.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzzJSON(UnsafeRawPointer(data), size)
    }
}
