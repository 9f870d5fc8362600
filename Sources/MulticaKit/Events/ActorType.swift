/// Who caused an event (SPEC §5 enum `actor_type`).
public enum ActorType: String, Sendable, Codable, CaseIterable {
    case member
    case agent
    case system
}
