import Foundation

/// An event that has not been appended yet: everything but its `seq`.
public struct NewEvent: Sendable, Hashable {
    public var id: String
    public var type: EventType
    public var workspaceID: String
    public var actorType: ActorType
    public var actorID: String
    public var timestamp: Date
    public var synthetic: Bool
    public var payload: RawJSONObject

    public init(
        type: EventType, workspaceID: String, actorType: ActorType, actorID: String,
        payload: RawJSONObject, synthetic: Bool = false, id: String = Identifier.make("evt"), timestamp: Date = Date()
    ) {
        self.id = id
        self.type = type
        self.workspaceID = workspaceID
        self.actorType = actorType
        self.actorID = actorID
        self.timestamp = timestamp
        self.synthetic = synthetic
        self.payload = payload
    }

    func sequenced(_ seq: Int64) -> EventEnvelope {
        EventEnvelope(
            id: id, seq: seq, type: type, workspaceID: workspaceID, actorType: actorType, actorID: actorID,
            timestamp: timestamp, synthetic: synthetic, payload: payload
        )
    }
}

/// What the log holds for one workspace: the last `seq` handed out, and the lowest
/// one still stored. A reader asking for `since` < `lowestRetained - 1` has missed
/// events that retention removed, and must be told so (`recovered: false`).
public struct EventLogBounds: Sendable, Hashable {
    /// The last `seq` assigned in the workspace; 0 when it never had an event.
    public var head: Int64
    /// The lowest `seq` still stored; `head + 1` when every event was pruned or none exists.
    public var lowestRetained: Int64

    public init(head: Int64, lowestRetained: Int64) {
        self.head = head
        self.lowestRetained = lowestRetained
    }

    /// True when every event after `since` is still in the log.
    public func canResume(from since: Int64) -> Bool { since + 1 >= lowestRetained }
}

/// What a retention pass removed.
public struct PruneReport: Sendable, Hashable {
    public var removed: Int
    /// Per workspace that lost events: its lowest retained `seq` afterwards.
    public var lowestRetained: [String: Int64]

    public init(removed: Int, lowestRetained: [String: Int64]) {
        self.removed = removed
        self.lowestRetained = lowestRetained
    }
}

/// The durable, per-workspace sequenced event log (SPEC §4).
///
/// Implementations own their storage; no SQL or database type crosses this seam.
/// Events are appended only by units of work (`UnitOfWork.append`), inside the
/// transaction that changes the rows they describe; this protocol is the read side.
/// Each workspace's `seq` is dense from 1 — no gap, no duplicate.
///
/// Threading: reads and pruning are `async` and must never block a thread of the
/// cooperative pool: with two cores that pool has two threads, and a few sockets
/// replaying at once would otherwise starve every request of the server.
public protocol EventLog: Sendable {
    /// Events of `workspace` with `seq > since`, ascending, at most `limit`.
    func events(workspace: String, since: Int64, limit: Int) async throws -> [EventEnvelope]

    /// The head and the lowest retained `seq` of `workspace`.
    func bounds(workspace: String) async throws -> EventLogBounds

    /// Removes events older than `olderThan` (if given), then all but the newest
    /// `keepingAtMost` of each workspace (if given).
    func prune(olderThan: Date?, keepingAtMost: Int?) async throws -> PruneReport
}
