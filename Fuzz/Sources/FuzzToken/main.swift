import Foundation
import MulticaKit

/// Token parsing and verification: any string, and any bytes spliced into a validly
/// signed token's header or claims, must be rejected with a `TokenError` (or
/// accepted), never crash.
private let service = try! TokenService(secret: Array("fuzzing-secret-that-is-at-least-32-bytes!".utf8))

private func verify(_ token: String) {
    let done = DispatchSemaphore(value: 0)
    Task {
        _ = try? await service.verify(token)
        done.signal()
    }
    done.wait()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToken(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    verify(String(decoding: bytes, as: UTF8.self))
    // The input as a header or a payload of a correctly shaped token.
    let segment = Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    verify(header + "." + segment + ".c2ln")
    verify(segment + ".e30.c2ln")
    return 0
}

// SwiftPM links an executable target with `main` renamed to `FuzzToken_main` (so the
// target stays testable); libFuzzer's driver is then started from here.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzToken_main")
public func fuzzTokenMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzzToken(UnsafeRawPointer(data), size)
    }
}
