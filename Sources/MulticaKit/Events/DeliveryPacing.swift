/// Holds publishers of a workspace back while that workspace's sockets are behind, so
/// that a flood of publishes slows its own answers and acks down instead of piling
/// delivered-but-unread events into socket buffers for seconds.
///
/// Implemented by the hub and injected into the `EventPublisher` by the server
/// composition: the publisher paces, only the hub knows the sockets.
///
/// Threading: `whenRoom` may be called from any thread and never blocks; `body` runs
/// either at once on the caller's thread, or later on the thread that observed the
/// sockets catching up (an event loop), and must itself return at once. Bodies for one
/// workspace run in the order they were passed, which is what keeps one socket's
/// publishes in frame order.
public protocol DeliveryPacing: Sendable {
    /// `metered`: the body lets one more event be published (an HTTP answer), and
    /// such bodies are let go a few at a time; a socket's queued publish frames are not.
    func whenRoom(in workspace: String, metered: Bool, _ body: @escaping @Sendable () -> Void)
    /// False while publishers of `workspace` would wait (a snapshot).
    func hasRoom(in workspace: String) -> Bool
}

extension DeliveryPacing {
    /// Suspends until the sockets of every workspace of `events` have room (the
    /// workspace-less daemon events pace nobody).
    func room(after events: [EventEnvelope]) async {
        var seen: Set<String> = []
        for event in events where !event.workspaceID.isEmpty && seen.insert(event.workspaceID).inserted {
            await room(in: event.workspaceID)
        }
    }

    /// Suspends until the sockets of `workspace` have room; returns without suspending
    /// when they have it now (a suspension and resumption cost the request a hop back
    /// onto the executor even when nothing waited).
    func room(in workspace: String) async {
        if hasRoom(in: workspace) { return }
        await withCheckedContinuation { (resumed: CheckedContinuation<Void, Never>) in
            whenRoom(in: workspace, metered: true) { resumed.resume() }
        }
    }
}
