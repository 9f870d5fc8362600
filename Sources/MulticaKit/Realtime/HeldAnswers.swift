import Synchronization

/// How many publishers' answers wait in the hub's rooms (`RoomPressure`), counted
/// across every room: what tells each loop's `DrainSchedule` that gathering events
/// into fewer drains now only adds latency.
///
/// A loop gathers a busy room's events into one write per socket, at the price of
/// the wait before the drain. While more answers wait than one release lets go, the
/// room's readers are the bottleneck and its publishers are already being held for
/// them; a long gap then only stacks a drain's wait and its reading on top of that
/// (see `DrainSchedule.maximumDrainIntervalWhileHolding`).
///
/// Threading: any thread; relaxed atomics, since the figure is a hint that is read
/// again on every drain.
final class HeldAnswers: Sendable {
    private let count = Atomic<Int>(0)

    func held() { count.wrappingAdd(1, ordering: .relaxed) }
    func released(_ answers: Int) { count.wrappingSubtract(answers, ordering: .relaxed) }

    /// Answers waiting now, across every room.
    var waiting: Int { count.load(ordering: .relaxed) }

    /// More answers wait than one release lets go (`RoomPressure.releaseBatch`).
    var isHolding: Bool { waiting > RoomPressure.releaseBatch }
}
