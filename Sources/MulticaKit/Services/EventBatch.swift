/// The events one request causes, appended in order to the request's unit of work as
/// they are added, so they are stored in its transaction with consecutive `seq`s and
/// delivered only after it commits.
///
/// Threading: lives inside one unit-of-work closure, like the unit it writes to.
struct EventBatch {
    let unit: any UnitOfWork
    let workspace: String
    let actorType: ActorType
    let actorID: String

    init(_ unit: any UnitOfWork, workspace: String, actorType: ActorType, actorID: String) {
        self.unit = unit
        self.workspace = workspace
        self.actorType = actorType
        self.actorID = actorID
    }

    /// A batch of events caused by a member.
    init(_ unit: any UnitOfWork, workspace: String, by caller: Principal) {
        self.init(unit, workspace: workspace, actorType: .member, actorID: caller.userID)
    }

    func add(_ type: EventType, _ members: [(String, any Encodable)]) throws {
        add(type, payload: try EventPayload.make(members))
    }

    func add(_ type: EventType, payload: RawJSONObject) {
        unit.append(NewEvent(type: type, workspaceID: workspace, actorType: actorType, actorID: actorID, payload: payload))
    }

    /// One `inbox:new` {item} per stored item.
    func add(inbox items: [InboxItem]) throws {
        for item in items { try add(.inboxNew, [("item", item)]) }
    }

    func add(agentStatus agents: [Agent]) throws {
        for agent in agents { try add(.agentStatus, [("agent", agent)]) }
    }
}
