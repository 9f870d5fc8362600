import NIOCore

/// When the pacing probes of one event loop's sockets become overdue, checked by one
/// timer per loop instead of one timer per probe.
///
/// Why: every probe waits the same `SocketSettings.lagLimit`, and one drain probes many
/// sockets within microseconds of each other. With a scheduled task per probe, NIO
/// allocated a task for each, and fired and re-armed its timerfd over and over (one
/// `timerfd_settime` per loop turn while probes were out): about 0.13 µs per delivered
/// frame with one event per POST to 100 sockets. Deadlines are added in the order the
/// probes are sent, all the same distance ahead, so a FIFO is already sorted by
/// deadline and one timer for its head serves them all.
///
/// Threading: made on any thread (each loop's `LoopOutbox` holds one); `add` and the
/// timer run on `loop` only, like the socket handlers that use it, which is what makes
/// the unchecked `Sendable` sound. Ownership: an entry holds its socket's handler until the deadline passes (at most
/// `lagLimit`), so a socket that closes meanwhile is released a little later; its
/// handler ignores the stale token.
final class ProbeDeadlines: @unchecked Sendable {
    private struct Entry {
        let socket: any ProbedSocket
        let token: UInt64
        let due: NIODeadline
    }

    /// Deadlines this soon after the timer fires are handled by the same wake-up: a
    /// probe may count as overdue up to this much before its `lagLimit` (5 ms), which is
    /// why a socket checks its round-trip floor against this slack (`probeOverdue`).
    static let coalescing = TimeAmount.milliseconds(1)

    let loop: any EventLoop
    private var entries = CircularBuffer<Entry>()
    private var armed = false

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Calls `socket.probeOverdue(token)` at `due` (or up to `coalescing` earlier).
    /// `due` must not be earlier than that of the previous call; a later entry with an
    /// earlier deadline is only checked when those before it are.
    func add(_ socket: any ProbedSocket, token: UInt64, due: NIODeadline) {
        loop.assertInEventLoop()
        entries.append(Entry(socket: socket, token: token, due: due))
        if !armed { arm(at: due) }
    }

    /// Probes whose deadline has not come yet (tests).
    var pending: Int { entries.count }

    private func arm(at due: NIODeadline) {
        armed = true
        loop.scheduleTask(deadline: due) { self.fire() }
    }

    private func fire() {
        armed = false
        let limit = loop.now + Self.coalescing
        while let first = entries.first, first.due <= limit {
            entries.removeFirst()
            first.socket.probeOverdue(first.token)
        }
        if let next = entries.first { arm(at: next.due) }
    }
}

/// What `ProbeDeadlines` tells when a probe's deadline passes (`SocketConnectionHandler`).
protocol ProbedSocket: AnyObject {
    /// Called on the loop when probe `token` has been out for `lagLimit`; the socket
    /// ignores a token it no longer waits for.
    func probeOverdue(_ token: UInt64)
}
