import Foundation

/// What every route group needs, assembled once by the server.
///
/// Handlers change storage through the repository and announce the change by
/// publishing events through `publisher`; they never see the hub.
public struct APIContext: Sendable {
    public let repository: any Repository
    public let publisher: EventPublisher
    public let eventLog: any EventLog
    public let access: AccessControl

    public init(repository: any Repository, publisher: EventPublisher, eventLog: any EventLog) {
        self.repository = repository
        self.publisher = publisher
        self.eventLog = eventLog
        self.access = AccessControl(members: repository)
    }

    /// Publishes one event caused by `actor` (persisted before delivery).
    @discardableResult
    func publish(
        _ type: EventType, workspace: String, by actor: Principal, _ members: [(String, any Encodable)]
    ) async throws -> EventEnvelope {
        try await publisher.publish(
            NewEvent(type: type, workspaceID: workspace, actorType: .member, actorID: actor.userID, payload: try EventPayload.make(members))
        )
    }

    /// Publishes every event a request caused, in order, in one transaction.
    @discardableResult
    func publish(_ batch: EventBatch) async throws -> [EventEnvelope] {
        try await publisher.publish(batch.events)
    }

    var tasks: TaskService { TaskService(repository: repository) }
}
