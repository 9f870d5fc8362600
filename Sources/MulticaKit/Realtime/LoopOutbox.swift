import NIOCore
import Synchronization

/// Frames waiting to be written by one event loop, coalesced into one loop task.
///
/// Threading: `enqueue` may be called from any thread (the event writer); it appends
/// under a mutex and schedules at most one drain task at a time. The drain runs on the
/// loop, writes every pending frame to its sockets without flushing, then flushes each
/// socket it touched once. A burst of events therefore costs one task hop per loop and
/// one `writev` per socket, however many events the burst held.
final class LoopOutbox: Sendable {
    struct Delivery: Sendable {
        let frame: ByteBuffer
        let seq: Int64?
        let targets: [SocketHandle]
    }

    private struct State: Sendable {
        var pending: [Delivery] = []
        var scheduled = false
    }

    let loop: any EventLoop
    private let state = Mutex(State())
    private let metrics: RealtimeMetrics

    init(loop: any EventLoop, metrics: RealtimeMetrics) {
        self.loop = loop
        self.metrics = metrics
    }

    func enqueue(_ delivery: Delivery) {
        let schedule = state.withLock { state in
            state.pending.append(delivery)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { loop.execute { self.drain() } }
    }

    /// Event loop only.
    private func drain() {
        let deliveries = state.withLock { state in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.scheduled = false
            }
            return state.pending
        }
        loop.assertInEventLoop()
        var touched: [SocketConnectionHandler] = []
        touched.reserveCapacity(deliveries.first?.targets.count ?? 0)
        var frames = 0
        for delivery in deliveries {
            for handle in delivery.targets {
                let handler = handle.handlerOnLoop
                if handler.deliverLive(delivery.frame, seq: delivery.seq) { touched.append(handler) }
            }
            frames += delivery.targets.count
        }
        for handler in touched { handler.flushIfNeeded() }
        metrics.framesDelivered(frames)
    }
}
