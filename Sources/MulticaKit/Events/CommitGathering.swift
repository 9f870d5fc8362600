#if canImport(Glibc)
import Glibc
#endif

/// What the unit writer does when a unit wakes it, before it commits: it lets the
/// threads that are handling other requests reach it first, so that their units share
/// the commit.
///
/// Why: the writer sleeps while idle and wakes on the first unit submitted. A client
/// that publishes two events at once over two connections, or a socket whose publish
/// frames arrive in one read, has its second request already read, or about to be,
/// when the writer wakes. Where the server's threads share a core (a server pinned to
/// one CPU, or a loaded machine), the woken writer takes that core from them and
/// commits the first unit alone: two transactions, two deliveries, and so one socket
/// write per event and subscriber where one write would have carried both. So the
/// writer first yields its core (`sched_yield`) to every thread that is ready to run,
/// until a yield comes back at once (nobody else wanted the core), `maximumYields` have
/// been made, or the yields have taken `budget`; what was submitted meanwhile joins the
/// group.
///
/// Cost: one `sched_yield`, about a microsecond, per wake-up when nothing else is ready
/// to run, which is always the case where the writer has a core to itself; nothing
/// while the writer is busy (units that arrive during a commit form the next group
/// anyway, so it gathers only when it wakes).
///
/// Measured with compare.sh's paced case (100 sockets, 100 events/s, one event per
/// `POST` over 4 connections, the server pinned to one core; `Benchmarks/case-syscalls.sh`):
/// 1,000 events went out in 945 commits without gathering, 579 with one yield and 548
/// with up to four, and socket writes per delivered event fell from 0.84 to 0.58 and
/// 0.55 (nats-server: 0.52).
///
/// Threading: `gather()` runs on the writer thread only. A plain value.
struct CommitGathering: Sendable {
    /// At most this many yields per wake-up: each lets every thread then ready run
    /// until it blocks or its slice ends, so a handful covers the requests in flight.
    var maximumYields: Int
    /// A yield that comes back sooner than this found no other thread ready to run.
    var quietYield: Duration
    /// No further yield once the yields have taken this long: a request reaches its
    /// submit within tens of microseconds, so a core busy for longer is busy with other
    /// work (a drain to many sockets under load), and the commit should not wait for it.
    var budget: Duration = .milliseconds(1)
    /// Gives up the core (`sched_yield`); tests pass their own.
    var yield: @Sendable () -> Void

    static let standard = CommitGathering(maximumYields: 4, quietYield: .microseconds(5)) {
        #if canImport(Glibc)
        _ = sched_yield()
        #endif
    }

    /// Commits at once.
    static let off = CommitGathering(maximumYields: 0, quietYield: .zero) {}

    /// Yields until a yield comes back quietly, `maximumYields` have been made or
    /// `budget` is spent; returns how many were made.
    func gather() -> Int {
        let clock = ContinuousClock()
        let began = clock.now
        var made = 0
        while made < maximumYields {
            let start = clock.now
            yield()
            made += 1
            let end = clock.now
            if end - start < quietYield || end - began >= budget { break }
        }
        return made
    }
}
