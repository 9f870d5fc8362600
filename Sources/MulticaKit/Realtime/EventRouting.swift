/// The routing rules of SPEC §5, in one place, for live delivery and replay alike.
public enum EventRouting {
    /// Where an event may go at all.
    public enum Scope: Equatable, Sendable {
        /// Rule 1: only sockets joined to this workspace.
        case workspace(String)
        /// Rule 2: only the recipient's sockets in this workspace.
        case recipient(workspace: String, userID: String)
        /// Rule 3: every socket.
        case everyone
        /// Rule 4 (and a personal event with no recipient): nobody; log it.
        case dropped(reason: String)
    }

    public static func scope(of event: EventEnvelope) -> Scope {
        if event.type.isWorkspaceless { return .everyone }
        guard !event.workspaceID.isEmpty else { return .dropped(reason: "event has no workspace") }
        guard event.type.isPersonal else { return .workspace(event.workspaceID) }
        guard let recipient = event.recipientID, !recipient.isEmpty else {
            return .dropped(reason: "personal event without recipient_id")
        }
        return .recipient(workspace: event.workspaceID, userID: recipient)
    }

    /// Whether a socket with `identity` may receive `event` (used by replay).
    public static func allows(_ event: EventEnvelope, to identity: SocketIdentity) -> Bool {
        switch scope(of: event) {
        case .everyone: return true
        case .workspace(let workspace): return workspace == identity.workspaceID
        case .recipient(let workspace, let user): return workspace == identity.workspaceID && user == identity.userID
        case .dropped: return false
        }
    }
}
