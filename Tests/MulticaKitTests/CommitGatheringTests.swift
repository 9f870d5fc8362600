import Foundation
import Synchronization
import Testing
@testable import MulticaKit

/// What the unit writer does on waking: it yields until nothing else wants the core,
/// and the units submitted meanwhile share its commit (`CommitGathering`).
@Suite("Commit gathering")
struct CommitGatheringTests {
    @Test func gatheringStopsAtTheFirstQuietYieldOrAfterItsMaximum() {
        let calls = Mutex(0)
        let quiet = CommitGathering(maximumYields: 4, quietYield: .seconds(1)) { calls.withLock { $0 += 1 } }
        #expect(quiet.gather() == 1)
        #expect(calls.withLock { $0 } == 1)

        // A yield that sleeps 2 ms was not quiet: another thread had the core.
        let busy = CommitGathering(maximumYields: 4, quietYield: .microseconds(500), budget: .seconds(10)) {
            Thread.sleep(forTimeInterval: 0.002)
        }
        #expect(busy.gather() == 4)

        let settling = Mutex(0)
        let busyOnce = CommitGathering(maximumYields: 4, quietYield: .milliseconds(10), budget: .seconds(10)) {
            if settling.withLock({ count in defer { count += 1 }; return count == 0 }) { Thread.sleep(forTimeInterval: 0.02) }
        }
        #expect(busyOnce.gather() == 2)

        // Yields of 20 ms against a 35 ms budget: the second spends it.
        let budgeted = CommitGathering(maximumYields: 4, quietYield: .microseconds(500), budget: .milliseconds(35)) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(budgeted.gather() == 2)

        #expect(CommitGathering.off.gather() == 0)
    }

    /// A sibling submitted after the writer took its group (here from the admission
    /// hook, which runs between the two) joins that group when the writer gathers, and
    /// makes a group of its own when it does not.
    @Test(arguments: [true, false])
    func aUnitSubmittedWhileTheWriterGathersSharesItsCommit(gathering: Bool) async throws {
        try await withTempDatabase { database in
            let backend = GroupRecorder(SQLiteRepository(database: database))
            let sibling = Mutex<(@Sendable () -> Void)?>(nil)
            let publisher = EventPublisher(
                backend: backend, bus: EventBus(), logger: .init(label: "test"),
                admission: { sibling.withLock { hook in defer { hook = nil }; return hook }?() },
                delivery: nil, pacing: nil,
                gathering: gathering ? CommitGathering(maximumYields: 1, quietYield: .zero) {} : .off
            )
            let results = SubmittedResults()
            sibling.withLock { $0 = { results.submit(testEvent("ws_s", payload: #"{"n":2}"#), to: publisher) } }
            let first = try await publisher.publish(testEvent("ws_s", payload: #"{"n":1}"#))
            #expect(await eventually(10) { results.count == 1 })
            #expect(first.seq == 1)
            #expect(results.seqs == [2])
            #expect(backend.groupSizes == (gathering ? [2] : [1, 1]))
        }
    }

    /// The writer gathers when it wakes, not between groups it commits back to back:
    /// units that arrive during a commit make the next group anyway.
    @Test func anIdleWriterGathersOnceAndNotBetweenBackToBackGroups() async throws {
        try await withTempDatabase { database in
            let backend = GroupRecorder(SQLiteRepository(database: database))
            let yields = Mutex(0)
            let publisher = EventPublisher(
                backend: backend, bus: EventBus(), logger: .init(label: "test"), admission: {}, delivery: nil, pacing: nil,
                gathering: CommitGathering(maximumYields: 1, quietYield: .zero) { yields.withLock { $0 += 1 } }
            )
            let results = SubmittedResults()
            backend.duringNextCommit { results.submit(testEvent("ws_b"), to: publisher) }
            _ = try await publisher.publish(testEvent("ws_b"))
            #expect(await eventually(10) { results.count == 1 })
            #expect(backend.groupSizes == [1, 1])
            #expect(yields.withLock { $0 } == 1)
        }
    }
}

/// The SQLite backend, recording the number of units of every group it is handed.
private final class GroupRecorder: TransactionalBackend {
    private let base: SQLiteRepository
    private let sizes = Mutex<[Int]>([])
    private let hook = Mutex<(@Sendable () -> Void)?>(nil)

    init(_ base: SQLiteRepository) { self.base = base }

    var groupSizes: [Int] { sizes.withLock { $0 } }

    /// Runs `body` on the writer thread at the start of the next group's commit.
    func duringNextCommit(_ body: @escaping @Sendable () -> Void) { hook.withLock { $0 = body } }

    func run(_ units: [UnitBody]) throws -> [UnitOutcome] {
        sizes.withLock { $0.append(units.count) }
        hook.withLock { hook in defer { hook = nil }; return hook }?()
        return try base.run(units)
    }
}

/// Units submitted without waiting, and the seqs they committed with.
private final class SubmittedResults: Sendable {
    private let seqs_ = Mutex<[Int64]>([])
    private let failures = Mutex(0)

    var seqs: [Int64] { seqs_.withLock { $0 } }
    var count: Int { seqs.count + failures.withLock { $0 } }

    func submit(_ event: NewEvent, to publisher: EventPublisher) {
        publisher.submit({ unit in unit.append(event) }) { result in
            switch result {
            case .success(let committed): self.seqs_.withLock { $0.append(committed.events[0].seq) }
            case .failure: self.failures.withLock { $0 += 1 }
            }
        }
    }
}
