import NIOCore
import Testing

@testable import MulticaKit

/// `RoundTripFloor`: the least round trip a socket's pings have taken, which pacing
/// does not count as lag.
@Suite struct RoundTripFloorTests {
    @Test func isZeroBeforeAnySample() {
        #expect(RoundTripFloor().value == .zero)
    }

    @Test func isTheLeastSampleAndNeverRises() {
        var floor = RoundTripFloor()
        floor.add(.milliseconds(30))
        #expect(floor.value == .milliseconds(30))
        floor.add(.milliseconds(12))
        #expect(floor.value == .milliseconds(12))
        // A probe answered late, behind queued frames, does not raise it.
        floor.add(.milliseconds(400))
        #expect(floor.value == .milliseconds(12))
    }

    @Test func ignoresANegativeSample() {
        var floor = RoundTripFloor()
        floor.add(.milliseconds(5))
        floor.add(.nanoseconds(-1))
        #expect(floor.value == .milliseconds(5))
    }
}
