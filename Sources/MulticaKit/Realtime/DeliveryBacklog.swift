import Foundation

/// How many frames the hub has handed to event loops that they have not written yet,
/// across every loop: the figure that makes delivery push back on commits.
///
/// When the loops fall behind (a burst to many sockets), `waitForRoom` holds the
/// publisher's writer thread before its next group commit, so HTTP answers and acks
/// slow down instead of accepted events piling up in memory; the per-socket send
/// queues and 4008 still bound what one slow reader holds.
///
/// Threading: `add` from the publisher's writer thread (through the bus), `remove` from
/// the event loops, `waitForRoom` from the writer thread only — never from a loop,
/// which must keep draining for the wait to end.
final class DeliveryBacklog: @unchecked Sendable {
    // @unchecked: `frames` is only touched under `condition`.
    private let condition = NSCondition()
    private var frames = 0
    /// Past this many unwritten frames, commits wait.
    let limit: Int

    init(limit: Int = 200_000) {
        self.limit = limit
    }

    func add(_ count: Int) {
        condition.lock()
        frames += count
        condition.unlock()
    }

    func remove(_ count: Int) {
        condition.lock()
        frames -= count
        if frames <= limit { condition.broadcast() }
        condition.unlock()
    }

    /// Blocks while the loops hold more than `limit` unwritten frames.
    func waitForRoom() {
        condition.lock()
        while frames > limit { condition.wait() }
        condition.unlock()
    }

    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return frames
    }
}
