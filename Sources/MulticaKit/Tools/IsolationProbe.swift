import Foundation
import Synchronization

/// One WebSocket of the isolation run: records everything it receives, in order.
final class IsolationProbe: Sendable {
    struct Record: Sendable {
        var hello: SocketHello?
        var events: [EventEnvelope] = []
        var closure: SocketClosure?
    }

    /// `socket 2 of workspace #1 (ws_…), user verify-…`
    let name: String
    let workspaceID: String
    let userID: String
    private let socket: MulticaSocket
    private let state = Mutex(Record())
    private let reader = Mutex<Task<Void, Never>?>(nil)

    private init(name: String, workspaceID: String, userID: String, socket: MulticaSocket) {
        self.name = name
        self.workspaceID = workspaceID
        self.userID = userID
        self.socket = socket
    }

    static func connect(
        name: String, server: ServerAddress, token: String, workspaceID: String, userID: String, since: Int64? = nil,
        settings: MulticaSocket.Settings
    ) async throws(ClientError) -> IsolationProbe {
        let socket = try await MulticaSocket.connect(server: server, token: token, workspaceID: workspaceID, since: since, settings: settings)
        let probe = IsolationProbe(name: name, workspaceID: workspaceID, userID: userID, socket: socket)
        let events = socket.events
        probe.reader.withLock {
            $0 = Task { [probe] in
                for await item in events {
                    probe.state.withLock { record in
                        switch item {
                        case .hello(let hello): record.hello = hello
                        case .event(let event): record.events.append(event.envelope)
                        case .other: break
                        case .closed(let closure): record.closure = closure
                        }
                    }
                }
            }
        }
        return probe
    }

    var record: Record { state.withLock { $0 } }

    /// Sends a close frame; the record gets `.closed` when the connection ends.
    func close() { socket.close() }

    /// Closes and stops recording.
    func stop() {
        socket.close()
        reader.withLock { $0?.cancel() }
    }
}

extension IsolationProbe {
    /// Polls `condition` every 10 ms until it holds (true) or `deadline` passes (false).
    static func poll(until deadline: ContinuousClock.Instant, _ condition: () -> Bool) async -> Bool {
        while true {
            if condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
