import Logging
import Synchronization

/// The in-process event bus: synchronous publish to listeners in registration order.
///
/// Threading: `publish` runs every matching listener on the caller's thread before it
/// returns. The listener list is read under a lock that is released before any
/// listener runs, so a listener may publish (or subscribe) again from inside itself
/// without deadlock; such a nested publish is delivered in full before the outer one
/// moves on to its next listener, as a plain function call would be.
///
/// Failure: a listener that throws is logged with the event type and listener label;
/// the remaining listeners still run and `publish` itself never throws (routing rule 6).
///
/// Groups: `publish(group:)` hands the events of one commit to the group listeners
/// first, once, with all of them (so delivery can coalesce a commit into one write per
/// socket), then to the per-event listeners one by one.
public final class EventBus: Sendable {
    /// A listener gets each event it subscribed to. It must not block: it runs on the
    /// publisher's thread, which for the server is the event log's writer.
    public typealias Listener = @Sendable (EventEnvelope) throws -> Void
    /// A group listener gets every event of one commit, in `seq` order.
    public typealias GroupListener = @Sendable ([EventEnvelope]) throws -> Void

    /// Identifies one subscription, for `unsubscribe`.
    public struct Subscription: Hashable, Sendable {
        fileprivate let id: Int
    }

    private struct Entry: Sendable {
        let id: Int
        let label: String
        let type: EventType?
        let listener: Listener
    }

    private struct GroupEntry: Sendable {
        let id: Int
        let label: String
        let listener: GroupListener
    }

    private struct State {
        var entries: [Entry] = []
        var groupEntries: [GroupEntry] = []
        var nextID = 0
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger = Logger(label: "multica.bus")) {
        self.logger = logger
    }

    /// Registers `listener` for events of exactly `type`.
    @discardableResult
    public func subscribe(_ type: EventType, label: String = "listener", _ listener: @escaping Listener) -> Subscription {
        add(type: type, label: label, listener)
    }

    /// Registers `listener` for every event.
    @discardableResult
    public func subscribeAll(label: String = "listener", _ listener: @escaping Listener) -> Subscription {
        add(type: nil, label: label, listener)
    }

    /// Registers `listener` for whole groups (see `publish(group:)`); a single
    /// `publish(_:)` reaches it as a group of one.
    @discardableResult
    public func subscribeGroups(label: String = "listener", _ listener: @escaping GroupListener) -> Subscription {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.groupEntries.append(GroupEntry(id: id, label: label, listener: listener))
            return Subscription(id: id)
        }
    }

    public func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            state.entries.removeAll { $0.id == subscription.id }
            state.groupEntries.removeAll { $0.id == subscription.id }
        }
    }

    /// Delivers the events of one commit: to every group listener once, then each event
    /// to the per-event listeners, in order, on this thread.
    public func publish(group events: [EventEnvelope]) {
        guard !events.isEmpty else { return }
        let (entries, groupEntries) = state.withLock { ($0.entries, $0.groupEntries) }
        for entry in groupEntries {
            do {
                try entry.listener(events)
            } catch {
                logger.error("event listener failed", metadata: ["listener": "\(entry.label)", "error": "\(error)"])
            }
        }
        for event in events { notify(entries, of: event) }
    }

    /// Delivers `event` to every matching listener, in registration order, on this thread.
    public func publish(_ event: EventEnvelope) {
        publish(group: [event])
    }

    private func notify(_ entries: [Entry], of event: EventEnvelope) {
        for entry in entries where entry.type == nil || entry.type == event.type {
            do {
                try entry.listener(event)
            } catch {
                logger.error(
                    "event listener failed",
                    metadata: ["listener": "\(entry.label)", "event_type": "\(event.type)", "error": "\(error)"]
                )
            }
        }
    }

    private func add(type: EventType?, label: String, _ listener: @escaping Listener) -> Subscription {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.entries.append(Entry(id: id, label: label, type: type, listener: listener))
            return Subscription(id: id)
        }
    }
}
