import Foundation

/// What every route group needs, assembled once by the server.
///
/// Handlers read through `repository`, and change storage only inside a unit of work
/// (`unit(_:)`): the rows and the events the change causes commit in one transaction,
/// and the publisher delivers the events after commit. Handlers never see the hub.
public struct APIContext: Sendable {
    public let repository: any Repository
    public let publisher: EventPublisher
    public let eventLog: any EventLog
    public let access: AccessControl

    /// - Parameter memberships: the membership cache shared with the socket authorizer,
    ///   installed on the publisher's bus by the server.
    public init(repository: any Repository, publisher: EventPublisher, eventLog: any EventLog, memberships: MembershipCache) {
        self.repository = repository
        self.publisher = publisher
        self.eventLog = eventLog
        self.access = AccessControl(members: CachingMemberStore(base: repository, cache: memberships))
    }

    /// Runs one request's unit of work and returns the closure's value once it and its
    /// events are committed.
    func unit<Value: Sendable>(_ work: @escaping @Sendable (any UnitOfWork) throws -> Value) async throws -> Value {
        try await publisher.unit(work).value
    }
}
