import MulticaKit

/// Every request body decoder of the API (the synthetic publish body, one event or a
/// batch, and each resource body) on arbitrary bytes: 400s only, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestBody(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzEntryPoints.decodeRequestBodies(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
