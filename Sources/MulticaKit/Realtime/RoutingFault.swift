/// Deliberate routing bugs, injected only to prove that the isolation verifier
/// detects them. `multica serve` enables one only through the environment variable
/// `MULTICA_TEST_ROUTING_FAULT`, and logs a warning at start when it does.
public enum RoutingFault: String, Sendable, CaseIterable {
    /// Workspace events go to every socket of every workspace (rule 1 broken).
    case broadcastEverywhere = "broadcast-everywhere"
    /// `inbox:*` events go to the whole workspace (rule 2 broken).
    case inboxToWorkspace = "inbox-to-workspace"

    func scope(of event: EventEnvelope) -> EventRouting.Scope {
        switch self {
        case .broadcastEverywhere:
            return event.workspaceID.isEmpty && !event.type.isWorkspaceless ? EventRouting.scope(of: event) : .everyone
        case .inboxToWorkspace:
            return event.type.isPersonal ? .workspace(event.workspaceID) : EventRouting.scope(of: event)
        }
    }

    public static let environmentVariable = "MULTICA_TEST_ROUTING_FAULT"
}
