import NIOCore

/// The shortest round trip a socket's pings have taken: what the network alone costs,
/// so that a probe counts as late only by what it waited beyond that.
///
/// Why: a probe's answer time is the network's round trip plus the time the peer took
/// to read what was sent before the probe. Only the second part is lag. Without the
/// floor, a peer 30 ms away that reads everything at once counted as behind on every
/// probe under a 20 ms `lagLimit`, and a room of such peers held its publishers back
/// although nothing was queued anywhere.
///
/// The floor only ever falls. Samples taken while the peer lags are long, and a floor
/// that rose with them would hide the lag it is there to reveal: under an overload from
/// the first event on, every probe waits behind queued frames. That is why the socket
/// sends a ping of its own in the same write as its hello, before the replay and any
/// live frame (`SocketConnectionHandler.sendHello`). A route
/// that gets slower later is then measured as lag, as it was before the floor existed.
/// Before the first sample the floor is zero.
///
/// A plain value, owned by one socket handler on its event loop.
struct RoundTripFloor: Sendable {
    private var least: TimeAmount?

    /// The floor: the least sample so far, zero without any.
    var value: TimeAmount { least ?? .zero }

    /// A ping answered `sample` after it was sent.
    mutating func add(_ sample: TimeAmount) {
        guard sample >= .zero else { return }
        least = min(least ?? sample, sample)
    }
}
