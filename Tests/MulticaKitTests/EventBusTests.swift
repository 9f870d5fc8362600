import Foundation
import Synchronization
import Testing

@testable import MulticaKit

@Suite("Event bus")
struct EventBusTests {
    private func event(_ type: EventType, workspace: String = "ws_a") -> EventEnvelope {
        NewEvent(type: type, workspaceID: workspace, actorType: .system, actorID: "test", payload: .empty).sequenced(1)
    }

    @Test func listenersRunInRegistrationOrderOnThePublishersThread() {
        let bus = EventBus()
        let calls = Mutex<[String]>([])
        let publisherThread = pthread_self()
        bus.subscribeAll { _ in calls.withLock { $0.append("all-1") } }
        bus.subscribe(.issueCreated) { _ in
            #expect(pthread_equal(pthread_self(), publisherThread) != 0)
            calls.withLock { $0.append("issue") }
        }
        bus.subscribeAll { _ in calls.withLock { $0.append("all-2") } }
        bus.publish(event(.issueCreated))
        // publish is synchronous: everything ran before it returned.
        #expect(calls.withLock { $0 } == ["all-1", "issue", "all-2"])
    }

    /// A commit reaches group listeners (delivery) once and first, then the per-event
    /// listeners (which act, e.g. close sockets after `member:removed` was queued).
    @Test func aGroupReachesGroupListenersOnceAndFirst() {
        let bus = EventBus()
        let calls = Mutex<[String]>([])
        bus.subscribeAll { event in calls.withLock { $0.append("each \(event.type)") } }
        bus.subscribeGroups { events in calls.withLock { $0.append("group \(events.map(\.type.rawValue))") } }
        struct Boom: Error {}
        bus.subscribeGroups { _ in throw Boom() }
        bus.publish(group: [event(.issueCreated), event(.memberRemoved)])
        bus.publish(group: [])
        #expect(calls.withLock { $0 } == [
            #"group ["issue:created", "member:removed"]"#, "each issue:created", "each member:removed",
        ])
    }

    @Test func typedSubscriptionSeesOnlyItsType() {
        let bus = EventBus()
        let seen = Mutex<[EventType]>([])
        bus.subscribe(.commentCreated) { e in seen.withLock { $0.append(e.type) } }
        bus.publish(event(.issueCreated))
        bus.publish(event(.commentCreated))
        bus.publish(event(.commentDeleted))
        #expect(seen.withLock { $0 } == [.commentCreated])
    }

    @Test func aThrowingListenerBetweenTwoHealthyOnesDoesNotStopThem() {
        struct Boom: Error {}
        let bus = EventBus()
        let calls = Mutex<[String]>([])
        bus.subscribeAll(label: "first") { _ in calls.withLock { $0.append("first") } }
        bus.subscribeAll(label: "broken") { _ in
            calls.withLock { $0.append("broken") }
            throw Boom()
        }
        bus.subscribeAll(label: "last") { _ in calls.withLock { $0.append("last") } }
        bus.publish(event(.issueUpdated))
        bus.publish(event(.issueDeleted))
        #expect(calls.withLock { $0 } == ["first", "broken", "last", "first", "broken", "last"])
    }

    @Test func aListenerMayPublishFromInsideAListener() {
        let bus = EventBus()
        let calls = Mutex<[String]>([])
        bus.subscribe(.taskCompleted) { _ in
            calls.withLock { $0.append("completed") }
            bus.publish(self.event(.inboxNew))
        }
        bus.subscribeAll { e in calls.withLock { $0.append("all:\(e.type)") } }
        bus.publish(event(.taskCompleted))
        #expect(calls.withLock { $0 } == ["completed", "all:inbox:new", "all:task:completed"])
    }

    @Test func unsubscribeStopsDelivery() {
        let bus = EventBus()
        let count = Mutex(0)
        let subscription = bus.subscribeAll { _ in count.withLock { $0 += 1 } }
        bus.publish(event(.agentCreated))
        bus.unsubscribe(subscription)
        bus.publish(event(.agentCreated))
        #expect(count.withLock { $0 } == 1)
    }

    @Test func concurrentPublishersDeliverEveryEvent() async {
        let bus = EventBus()
        let count = Mutex(0)
        bus.subscribeAll { _ in count.withLock { $0 += 1 } }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<250 { bus.publish(self.event(.issueUpdated)) } }
            }
        }
        #expect(count.withLock { $0 } == 2000)
    }
}
