/// The CLI's table-driven parser (`Parser.parse`), compiled from the executable
/// target's own files (symlinked here: an executable target cannot be imported by
/// another package). The input is argv split at NUL bytes; the parser must answer a
/// ParseResult or a usage CLIError, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCLI(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(64).map { String(decoding: $0, as: UTF8.self) }
    _ = try? Parser.parse(arguments, environment: ["MULTICA_SERVER": "http://127.0.0.1:1"])
    for argument in arguments.prefix(4) { _ = DurationParser.seconds(argument) }
    return 0
}

// SwiftPM links an executable target with `main` renamed to `FuzzCLI_main` (so the
// target stays testable); libFuzzer's driver is then started from here.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzCLI_main")
public func fuzzCLIMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzzCLI(UnsafeRawPointer(data), size)
    }
}
