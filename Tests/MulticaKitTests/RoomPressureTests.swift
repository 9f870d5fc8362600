import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import MulticaKit

/// `RoomPressure` on an `EmbeddedEventLoop`, whose clock moves only when told: who
/// waits, and how waiters are let go once the room keeps up again.
@Suite struct RoomPressureTests {
    /// Records the order in which released waiters ran.
    final class Released: Sendable {
        private let order = Mutex<[Int]>([])
        func add(_ index: Int) { order.withLock { $0.append(index) } }
        var value: [Int] { order.withLock { $0 } }
    }

    /// A room of one subscriber that is behind, with `count` publishers waiting.
    static func congested(
        waiting count: Int, on loop: EmbeddedEventLoop, held: HeldAnswers = HeldAnswers()
    ) -> (RoomPressure, Released) {
        let pressure = RoomPressure(metrics: RealtimeMetrics(), loop: loop, held: held)
        pressure.subscriberJoined()
        pressure.socketFellBehind()
        let released = Released()
        for index in 0..<count { pressure.whenRoom { released.add(index) } }
        return (pressure, released)
    }

    @Test func publishersGoAtOnceWhileTheRoomKeepsUp() {
        let loop = EmbeddedEventLoop()
        let pressure = RoomPressure(metrics: RealtimeMetrics(), loop: loop)
        pressure.subscriberJoined()
        let released = Released()
        for index in 0..<50 { pressure.whenRoom { released.add(index) } }
        #expect(released.value == Array(0..<50))
        #expect(pressure.hasRoom)
    }

    @Test func waitersGoOneBatchPerTickInArrivalOrder() {
        let loop = EmbeddedEventLoop()
        let (pressure, released) = Self.congested(waiting: 20, on: loop)
        #expect(released.value.isEmpty)
        #expect(!pressure.hasRoom)

        pressure.socketCaughtUp()
        let batch = RoomPressure.releaseBatch
        #expect(released.value == Array(0..<batch))
        // A newcomer queues behind those still waiting.
        pressure.whenRoom { released.add(99) }
        #expect(released.value.count == batch)

        loop.advanceTime(by: RoomPressure.releaseTick - .nanoseconds(1))
        #expect(released.value.count == batch, "a batch went before its tick")
        loop.advanceTime(by: .nanoseconds(1))
        #expect(released.value == Array(0..<(2 * batch)))
        // The 21 - 2 * batch left go one batch a tick.
        let ticksLeft = (21 - 2 * batch + batch - 1) / batch
        loop.advanceTime(by: RoomPressure.releaseTick * Int64(ticksLeft - 1))
        #expect(released.value.count < 21, "the last batch went before its tick")
        loop.advanceTime(by: RoomPressure.releaseTick)
        #expect(released.value == Array(0..<20) + [99])
        #expect(pressure.hasRoom)
    }

    /// A socket's queued publish frames are not metered: they all go at once with the
    /// room's next batch, in arrival order among the metered answers.
    @Test func unmeteredWaitersGoWithTheBatchUncounted() {
        let loop = EmbeddedEventLoop()
        let (pressure, released) = Self.congested(waiting: 0, on: loop)
        for index in 0..<20 { pressure.whenRoom(metered: false) { released.add(index) } }
        pressure.whenRoom(metered: true) { released.add(20) }
        for index in 21..<40 { pressure.whenRoom(metered: false) { released.add(index) } }
        pressure.socketCaughtUp()
        #expect(released.value == Array(0..<40))
        #expect(pressure.hasRoom)
    }

    /// The hub's count of held answers follows the metered waiters of every room:
    /// it is what shortens the loops' drain gap (`DrainSchedule`).
    @Test func heldAnswersCountTheMeteredWaitersOfEveryRoom() {
        let loop = EmbeddedEventLoop()
        let held = HeldAnswers()
        let (first, _) = Self.congested(waiting: 10, on: loop, held: held)
        let (second, _) = Self.congested(waiting: 3, on: loop, held: held)
        second.whenRoom(metered: false) {}
        #expect(held.waiting == 13)
        #expect(held.isHolding)

        first.socketCaughtUp()
        #expect(held.waiting == 13 - RoomPressure.releaseBatch)
        loop.advanceTime(by: RoomPressure.releaseTick * 10)
        #expect(held.waiting == 3)
        #expect(!held.isHolding)
        second.socketCaughtUp()
        #expect(held.waiting == 0)
    }

    /// Past `undrainedLimit` of the room's events unwritten in the outboxes, answers
    /// wait even in a room whose sockets keep up, and go once a drain has written
    /// enough; a publish frame goes at once unless it would overtake a waiting answer.
    @Test func answersWaitForTheOutboxesPastTheUndrainedLimit() {
        let loop = EmbeddedEventLoop()
        let held = HeldAnswers()
        let pressure = RoomPressure(metrics: RealtimeMetrics(), loop: loop, held: held)
        pressure.subscriberJoined()
        pressure.eventsQueued(RoomPressure.undrainedLimit)
        #expect(pressure.hasRoom)
        pressure.eventsQueued(1)
        #expect(!pressure.hasRoom)

        let released = Released()
        pressure.whenRoom(metered: false) { released.add(0) }
        #expect(released.value == [0])
        pressure.whenRoom { released.add(1) }
        pressure.whenRoom { released.add(2) }
        pressure.whenRoom(metered: false) { released.add(3) }
        #expect(released.value == [0])
        #expect(held.waiting == 2)

        pressure.eventsWritten(1)
        #expect(released.value == [0, 1, 2, 3])
        #expect(held.waiting == 0)
        #expect(pressure.hasRoom)
    }

    @Test func aRoomBehindAgainStopsTheTicksUntilItKeepsUp() {
        let loop = EmbeddedEventLoop()
        let (pressure, released) = Self.congested(waiting: 20, on: loop)
        pressure.socketCaughtUp()
        let batch = RoomPressure.releaseBatch
        #expect(released.value.count == batch)

        pressure.socketFellBehind()
        loop.advanceTime(by: RoomPressure.releaseTick * 5)
        #expect(released.value.count == batch, "released while the room was behind")

        pressure.socketCaughtUp()
        #expect(released.value == Array(0..<(2 * batch)))
    }
}
