import NIOCore

/// What a socket's `publish` frame is answered with (SPEC §7).
public enum PublishReply: Sendable, Equatable {
    /// Committed: `{"type":"ack","ref":R,"seq":N,"id":"evt_…"}`.
    case ack(seq: Int64, id: String)
    /// Refused or failed: `{"type":"error","ref":R,"status":S,"error":"…"}`.
    case error(status: Int, message: String)

    func frame(ref: String?) -> [UInt8] {
        var out: [UInt8]
        switch self {
        case .ack: out = Array(#"{"type":"ack","ref":"#.utf8)
        case .error: out = Array(#"{"type":"error","ref":"#.utf8)
        }
        if let ref { JSONString.append(ref, to: &out) } else { out.append(contentsOf: "null".utf8) }
        switch self {
        case .ack(let seq, let id):
            out.append(contentsOf: #","seq":\#(seq),"id":"#.utf8)
            JSONString.append(id, to: &out)
        case .error(let status, let message):
            out.append(contentsOf: #","status":\#(status),"error":"#.utf8)
            JSONString.append(message, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Publishes the `event` of a socket's `publish` frame under exactly the rules of
/// `POST /api/events` (member of the socket's workspace, synthetic, payload relayed byte
/// for byte). Implemented by the API layer and injected by the server composition, so
/// the realtime layer knows nothing of storage.
///
/// Threading: `publish` is called on the socket's event loop and must return at once;
/// `completion` may run on any thread. Calls made in one order complete in that order
/// (the unit-of-work queue is FIFO), which is what keeps a socket's acks in order.
public protocol SocketPublishing: Sendable {
    func publish(event: [UInt8], from identity: SocketIdentity, completion: @escaping @Sendable (PublishReply) -> Void)
}

/// A socket's answers to its publish frames, released strictly in frame order: a frame
/// refused at once (bad JSON) still waits behind earlier frames that are committing.
///
/// Threading: confined to the socket's event loop, like its handler.
struct PublishReplies {
    private var slots: CircularBuffer<[UInt8]?> = []
    /// The sequence number of `slots.first`.
    private var base = 0

    /// Frames waiting for their answer (the figure the 1,000-unacked rule bounds).
    var pending: Int { slots.count }

    /// Reserves the next answer's place; returns its ticket.
    mutating func reserve() -> Int {
        slots.append(nil)
        return base + slots.count - 1
    }

    /// Fills `ticket` and returns the answers that are now ready, in order.
    mutating func fill(_ ticket: Int, with frame: [UInt8]) -> [[UInt8]] {
        let index = ticket - base
        guard index >= 0, index < slots.count else { return [] }
        slots[slots.index(slots.startIndex, offsetBy: index)] = frame
        var ready: [[UInt8]] = []
        while let first = slots.first, let frame = first {
            ready.append(frame)
            slots.removeFirst()
            base += 1
        }
        return ready
    }
}
