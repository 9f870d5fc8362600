import NIOCore

/// Server-to-client WebSocket frames as bytes (RFC 6455 §5.2: FIN set, no mask).
///
/// The hub encodes each event's frame once, header included, and the same buffer is
/// written to every recipient: no per-socket encoder, header allocation or copy. The
/// few control frames a socket sends (close, pong, ping) use the same function.
enum WebSocketFrameBytes {
    enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    static func encode(_ opcode: Opcode, payload: some Collection<UInt8>, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: payload.count + 10)
        writeHeader(opcode, length: payload.count, into: &buffer)
        buffer.writeBytes(payload)
        return buffer
    }

    static func encode(_ opcode: Opcode, payload: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: payload.readableBytes + 10)
        writeHeader(opcode, length: payload.readableBytes, into: &buffer)
        var payload = payload
        buffer.writeBuffer(&payload)
        return buffer
    }

    /// A ping whose payload is `token` (8 bytes, big-endian), in one allocation.
    static func ping(token: UInt64, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 10)
        writeHeader(.ping, length: 8, into: &buffer)
        buffer.writeInteger(token)
        return buffer
    }

    static func close(_ code: CloseCode, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var payload = allocator.buffer(capacity: 2 + code.reason.utf8.count)
        payload.writeInteger(code.rawValue)
        payload.writeString(code.reason)
        return encode(.close, payload: payload, allocator: allocator)
    }

    private static func writeHeader(_ opcode: Opcode, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode.rawValue)
        switch length {
        case ..<126:
            buffer.writeInteger(UInt8(length))
        case ..<65536:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }
}
