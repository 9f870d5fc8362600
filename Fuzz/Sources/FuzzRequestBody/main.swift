import MulticaKit

/// Every request body decoder of the API (the synthetic publish body, one event or a
/// batch, and each resource body) on arbitrary bytes: 400s only, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestBody(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzEntryPoints.decodeRequestBodies(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}

// SwiftPM links an executable target with `main` renamed to `FuzzRequestBody_main` (so the
// target stays testable); libFuzzer's driver is then started from here.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzRequestBody_main")
public func fuzzRequestBodyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzzRequestBody(UnsafeRawPointer(data), size)
    }
}
