/// The one bus listener that knows the hub: it hands every commit's events to the hub
/// (which applies the routing rules and coalesces them per socket) and enforces
/// membership for the life of a socket.
/// Synthetic events (`POST /api/events`) are relayed but never act: a forged
/// `member:removed` must not close anybody's socket.
public enum BroadcastListener {
    public static func install(on bus: EventBus, hub: Hub) {
        bus.subscribeGroups(label: "broadcast") { events in
            hub.deliver(events)
        }
        // Rule 5: the removed member's sockets get `member:removed` first (the hub
        // queued it on their event loops above), then the close.
        bus.subscribe(.memberRemoved, label: "revoke-membership") { event in
            guard !event.synthetic, let userID = event.payload.string("user_id") else { return }
            hub.close(workspace: event.workspaceID, userID: userID, code: .membershipRevoked)
        }
        bus.subscribe(.workspaceUpdated, label: "close-deleted-workspace") { event in
            guard !event.synthetic, let deleted = event.payload.member("deleted"), deleted.elementsEqual("true".utf8) else { return }
            hub.close(workspace: event.workspaceID, code: .membershipRevoked)
        }
    }
}
