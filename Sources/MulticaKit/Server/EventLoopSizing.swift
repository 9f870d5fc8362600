#if canImport(Glibc)
import Glibc

// Glibc's module leaves out the _GNU_SOURCE calls.
@_silgen_name("sched_getaffinity")
private func glibcSchedGetaffinity(_ pid: pid_t, _ size: Int, _ mask: UnsafeMutableRawPointer) -> Int32
#endif
import NIOCore

/// Sizes the server's event loops to the CPUs the process may run on.
///
/// Why: NIO's shared event loop group has `System.coreCount` loops, which counts the
/// machine's cores (less a cgroup quota) but not the process's CPU affinity. A server
/// started with `taskset -c 0` on a 2-core machine then runs two loops on one CPU: its
/// sockets are split between them, every commit wakes both to drain, and they take
/// the CPU from each other. Go servers size themselves the same way (GOMAXPROCS
/// follows the affinity). Measured with compare.sh's paced case (100 sockets, server
/// pinned to one core): 1,144 loop drains for 574 commits with two loops, 575 for 577
/// with one, and context switches per delivered event fell from 0.093 to 0.071.
///
/// `NIO_SINGLETON_GROUP_LOOP_COUNT`, NIO's own override, still wins when set.
public enum EventLoopSizing {
    /// Must run before anything uses NIO's shared event loop group, once per process
    /// (NIO stops the process when the count is set after first use or twice); `serve`
    /// calls it first. Changes nothing when the affinity allows every core.
    public static func fitToProcessorAffinity(environment: [String: String]) {
        guard environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil,
              let allowed = allowedProcessorCount(), allowed < System.coreCount
        else { return }
        NIOSingletons.groupLoopCountSuggestion = allowed
    }

    /// How many CPUs this process may run on (`sched_getaffinity`); nil when unknown.
    static func allowedProcessorCount() -> Int? {
        #if canImport(Glibc)
        // Room for 4,096 CPUs; the kernel refuses a mask smaller than its own.
        var mask = [UInt64](repeating: 0, count: 64)
        let status = mask.withUnsafeMutableBytes { glibcSchedGetaffinity(0, $0.count, $0.baseAddress!) }
        guard status == 0 else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
        #else
        return nil
        #endif
    }
}
