import Foundation
import Testing

/// `serve` runs one event loop per CPU it may run on (`EventLoopSizing`), not one per
/// core of the machine: a server pinned with `taskset` does not split its sockets
/// between loops that share a CPU.
@Suite("serve: event loops per allowed CPU")
struct ServeEventLoopTests {
    @Test func aServerPinnedToOneCPURunsOneEventLoop() async throws {
        let taskset = "/usr/bin/taskset"
        try #require(FileManager.default.isExecutableFile(atPath: taskset), "util-linux's taskset is needed")
        let pinned = try await Self.eventLoopThreads(launcher: [taskset, "-c", "0"], extra: [:])
        #expect(pinned == 1)
        // NIO's own override still wins.
        let overridden = try await Self.eventLoopThreads(launcher: [taskset, "-c", "0"], extra: ["NIO_SINGLETON_GROUP_LOOP_COUNT": "3"])
        #expect(overridden == 3)
    }

    /// The number of NIO event loop threads of a `serve` started through `launcher`,
    /// read from /proc once it listens.
    private static func eventLoopThreads(launcher: [String], extra: [String: String]) async throws -> Int {
        let environment = CLI.environment(extra: extra)
        let home = environment["MULTICA_HOME"]!
        let server = try BackgroundProcess(
            ["serve", "--listen", "127.0.0.1:0", "--db", home + "/loops.db"], environment: environment, launcher: launcher
        )
        defer { server.stop() }
        try await server.waitUntil("serve to listen") { server.stderr.contains("listening on http://") }
        let tasks = "/proc/\(server.process.pid)/task"
        return try FileManager.default.contentsOfDirectory(atPath: tasks).filter { thread in
            let name = (try? String(contentsOfFile: "\(tasks)/\(thread)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("NIO-SGLTN-")
        }.count
    }
}
