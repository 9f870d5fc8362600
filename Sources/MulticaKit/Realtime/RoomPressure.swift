import Synchronization

/// Whether the subscribed sockets of one room keep up with what is delivered to them,
/// and the publishers waiting until they do (the hub's `DeliveryPacing`).
///
/// A socket counts as behind while a probe ping it was sent has gone unanswered for
/// longer than `SocketSettings.lagLimit` (see `SocketConnectionHandler`): its peer has
/// not yet read what preceded it. The room is congested while more than half of its
/// subscribed sockets are behind, so one slow tab does not slow a whole workspace; it
/// is evicted with 4008 instead. A socket behind for longer than
/// `SocketSettings.stuckAfter` stops counting, so a peer that stopped reading holds
/// publishers back at most that long.
///
/// Threading: every method may be called from any thread. Waiting bodies run outside
/// the lock, in arrival order, on the thread whose update opened the room; while they
/// run, newcomers queue behind them, so no body overtakes an earlier one.
final class RoomPressure: Sendable {
    private struct State {
        var subscribers = 0
        var behind = 0
        var waiters: [@Sendable () -> Void] = []
        /// True while one thread runs released waiters.
        var releasing = false
        var isCongested: Bool { behind * 2 > subscribers }
    }

    private let state = Mutex(State())
    private let metrics: RealtimeMetrics

    init(metrics: RealtimeMetrics) {
        self.metrics = metrics
    }

    /// Runs `body` at once when the room keeps up and nobody waits, else once it does.
    func whenRoom(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if !state.releasing, state.waiters.isEmpty, !state.isCongested { return true }
            state.waiters.append(body)
            return false
        }
        if now { body() } else { metrics.publishPaced() }
    }

    func subscriberJoined() { update { $0.subscribers += 1 } }
    func subscriberLeft() { update { $0.subscribers -= 1 } }
    /// A socket's probe is overdue (also counted in the `multica_sockets_behind` gauge).
    func socketFellBehind() {
        metrics.socketBehind(1)
        update { $0.behind += 1 }
    }

    /// The socket answered, got stuck or closed: it no longer counts as behind.
    func socketCaughtUp() {
        metrics.socketBehind(-1)
        update { $0.behind -= 1 }
    }

    var isCongested: Bool { state.withLock { $0.isCongested } }

    private func update(_ change: (inout State) -> Void) {
        let open = state.withLock { state in
            change(&state)
            return !state.isCongested && !state.waiters.isEmpty && !state.releasing
        }
        if open { release() }
    }

    private func release() {
        var batch = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.releasing, !state.isCongested, !state.waiters.isEmpty else { return [] }
            state.releasing = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        while !batch.isEmpty {
            for body in batch { body() }
            batch = state.withLock { state in
                guard !state.isCongested, !state.waiters.isEmpty else {
                    state.releasing = false
                    return []
                }
                defer { state.waiters.removeAll() }
                return state.waiters
            }
        }
    }
}
