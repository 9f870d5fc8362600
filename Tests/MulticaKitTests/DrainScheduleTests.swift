import NIOCore
import Testing

@testable import MulticaKit

/// When a loop's outbox drains: at once after an idle spell and for the first commit
/// that comes close behind a drain, after the gap from the second close commit on.
@Suite("Drain schedule")
struct DrainScheduleTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ milliseconds: Double) -> NIODeadline { start + .nanoseconds(Int64(milliseconds * 1_000_000)) }

    @Test func aJitteredPairDrainsAtOnceAndABusyRoomGathers() {
        var schedule = DrainSchedule()
        #expect(schedule.nextDrain(now: at(0)) == at(0))
        schedule.drainStarted(at: at(0))
        schedule.drainTook(.microseconds(100))

        // The second event of a pair, 1 ms behind: no wait.
        #expect(schedule.nextDrain(now: at(1)) == at(1))
        schedule.drainStarted(at: at(1))
        // A third close commit waits out the gap after the last drain.
        #expect(schedule.nextDrain(now: at(1.5)) == at(1) + DrainSchedule.minimumDrainInterval)
        schedule.drainStarted(at: at(4))
        // Still busy: the next close one waits as well.
        #expect(schedule.nextDrain(now: at(5)) == at(4) + DrainSchedule.minimumDrainInterval)
        schedule.drainStarted(at: at(7))

        // After a quiet spell longer than the gap: at once, and the next close one too.
        #expect(schedule.nextDrain(now: at(20)) == at(20))
        schedule.drainStarted(at: at(20))
        #expect(schedule.nextDrain(now: at(21)) == at(21))
    }

    @Test func theGapFollowsTheLastDrainsCostWithinItsBounds() {
        var schedule = DrainSchedule()
        #expect(schedule.gap() == DrainSchedule.minimumDrainInterval)
        schedule.drainTook(.milliseconds(5))
        #expect(schedule.gap() == .milliseconds(5 * DrainSchedule.drainCostFactor))
        schedule.drainTook(.seconds(2))
        #expect(schedule.gap() == DrainSchedule.maximumDrainInterval)

        schedule.drainTook(.milliseconds(5))
        schedule.drainStarted(at: at(0))
        #expect(schedule.nextDrain(now: at(1)) == at(1))
        schedule.drainStarted(at: at(1))
        #expect(schedule.nextDrain(now: at(2)) == at(21))
    }

    /// While answers wait for a room's readers, a costly drain's gap stops at the
    /// shorter cap; a cheap one's is the same either way.
    @Test func holdingAnswersShortensTheLongestGap() {
        var schedule = DrainSchedule()
        schedule.drainTook(.seconds(2))
        #expect(schedule.gap(holding: true) == DrainSchedule.maximumDrainIntervalWhileHolding)
        #expect(DrainSchedule.maximumDrainIntervalWhileHolding < DrainSchedule.maximumDrainInterval)
        schedule.drainTook(.milliseconds(1))
        #expect(schedule.gap(holding: true) == schedule.gap(holding: false))

        schedule.drainTook(.seconds(2))
        schedule.drainStarted(at: at(0))
        #expect(schedule.nextDrain(now: at(1)) == at(1))
        schedule.drainStarted(at: at(1))
        let capped = Double(DrainSchedule.maximumDrainIntervalWhileHolding.nanoseconds) / 1_000_000
        #expect(schedule.nextDrain(now: at(2), holding: true) == at(1 + capped))
    }
}
