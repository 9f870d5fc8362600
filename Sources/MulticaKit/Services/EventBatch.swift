/// The events one request causes, built in order and published together with one
/// `EventPublisher.publish(_:)` call, so they are stored in one transaction and get
/// consecutive `seq`s.
struct EventBatch: Sendable {
    let workspace: String
    let actorType: ActorType
    let actorID: String
    private(set) var events: [NewEvent] = []

    init(workspace: String, actorType: ActorType, actorID: String) {
        self.workspace = workspace
        self.actorType = actorType
        self.actorID = actorID
    }

    mutating func add(_ type: EventType, _ members: [(String, any Encodable)]) throws {
        events.append(
            NewEvent(type: type, workspaceID: workspace, actorType: actorType, actorID: actorID, payload: try EventPayload.make(members))
        )
    }

    /// One `inbox:new` {item} per stored item.
    mutating func add(inbox items: [InboxItem]) throws {
        for item in items { try add(.inboxNew, [("item", item)]) }
    }

    mutating func add(agentStatus agents: [Agent]) throws {
        for agent in agents { try add(.agentStatus, [("agent", agent)]) }
    }

    var types: [EventType] { events.map(\.type) }
}
