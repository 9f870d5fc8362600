import NIOCore
import NIOEmbedded
import Testing

@testable import MulticaKit

/// `ProbeDeadlines` on an `EmbeddedEventLoop`, whose clock moves only when told.
@Suite struct ProbeDeadlinesTests {
    /// Records the overdue calls it gets, in order.
    final class Recorder: ProbedSocket {
        var overdue: [UInt64] = []
        func probeOverdue(_ token: UInt64) { overdue.append(token) }
    }

    @Test func aProbeIsOverdueAtItsDeadlineAndNotBefore() {
        let loop = EmbeddedEventLoop()
        let deadlines = ProbeDeadlines(loop: loop)
        let socket = Recorder()
        deadlines.add(socket, token: 7, due: loop.now + .milliseconds(20))
        loop.advanceTime(by: .milliseconds(20) - .microseconds(1))
        #expect(socket.overdue.isEmpty)
        loop.advanceTime(by: .microseconds(1))
        #expect(socket.overdue == [7])
        #expect(deadlines.pending == 0)
    }

    @Test func probesWithinTheCoalescingWindowShareOneWakeUp() {
        let loop = EmbeddedEventLoop()
        let deadlines = ProbeDeadlines(loop: loop)
        let sockets = (0..<100).map { _ in Recorder() }
        let start = loop.now
        for (index, socket) in sockets.enumerated() {
            // A drain probes its sockets microseconds apart.
            deadlines.add(socket, token: UInt64(index), due: start + .milliseconds(20) + .microseconds(Int64(index)))
        }
        // The first deadline fires all of them: they are within `coalescing` of it.
        loop.advanceTime(to: start + .milliseconds(20))
        #expect(sockets.enumerated().allSatisfy { $0.element.overdue == [UInt64($0.offset)] })
        #expect(deadlines.pending == 0)
    }

    @Test func aLaterProbeWaitsForItsOwnDeadline() {
        let loop = EmbeddedEventLoop()
        let deadlines = ProbeDeadlines(loop: loop)
        let first = Recorder()
        let second = Recorder()
        let start = loop.now
        deadlines.add(first, token: 1, due: start + .milliseconds(20))
        deadlines.add(second, token: 2, due: start + .milliseconds(25))
        loop.advanceTime(to: start + .milliseconds(20))
        #expect(first.overdue == [1])
        #expect(second.overdue.isEmpty)
        #expect(deadlines.pending == 1)
        loop.advanceTime(to: start + .milliseconds(24))
        #expect(second.overdue.isEmpty)
        loop.advanceTime(to: start + .milliseconds(25))
        #expect(second.overdue == [2])
        // Idle again, then a new probe: the timer is armed anew.
        deadlines.add(first, token: 3, due: loop.now + .milliseconds(20))
        loop.advanceTime(by: .milliseconds(20))
        #expect(first.overdue == [1, 3])
    }
}
