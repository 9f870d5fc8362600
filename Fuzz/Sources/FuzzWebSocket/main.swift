import MulticaKit
import NIOCore
import NIOEmbedded

/// The WebSocket socket handler behind NIO's frame decoder, fed arbitrary bytes
/// (frames, fragments, control frames, garbage) through an `EmbeddedChannel`, split
/// into reads at points the input chooses. Whatever arrives, the handler must not
/// crash, and every byte it writes must be whole frames.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let first = input.first else { return 0 }
    let channel = EmbeddedChannel()
    var settings = SocketSettings()
    settings.maxInboundMessageBytes = 4096
    settings.echo = first & 1 == 1
    do {
        try FuzzEntryPoints.installSocketPipeline(on: channel, settings: settings)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // The first byte picks the read size, so fragment boundaries vary.
        let chunk = Int(first >> 1) + 1
        var offset = 1
        while offset < input.count, channel.isActive {
            let end = min(input.count, offset + chunk)
            try? channel.writeInbound(channel.allocator.buffer(bytes: input[offset..<end]))
            channel.embeddedEventLoop.run()
            offset = end
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        while let _ = try? channel.readOutbound(as: ByteBuffer.self) {}
        _ = try? channel.finish()
    } catch {
        _ = try? channel.finish()
    }
    return 0
}

// SwiftPM links an executable target with `main` renamed to `FuzzWebSocket_main` (so the
// target stays testable); libFuzzer's driver is then started from here.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzWebSocket_main")
public func fuzzWebSocketMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzzWebSocket(UnsafeRawPointer(data), size)
    }
}
