import Logging
import NIOCore
import PostgresNIO

/// `ClusterSignals` over `LISTEN multica_events` on one dedicated connection per node
/// (`application_name` = `multica-listen`, so operators can find it).
///
/// When the connection drops (server restart, `pg_terminate_backend`, network) it
/// reconnects with exponential backoff (100 ms doubling to 5 s), re-LISTENs, and then
/// reports `connected`, after which the feed catches up from the log: a lost
/// notification costs latency, never an event.
public struct PostgresSignals: ClusterSignals {
    let store: PostgresStore
    let applicationName: String

    public init(store: PostgresStore, applicationName: String = "multica-listen") {
        self.store = store
        self.applicationName = applicationName
    }

    public func run(
        connected: @escaping @Sendable () async -> Void,
        committed: @escaping @Sendable (String, Int64) async -> Void
    ) async {
        var backoff: Duration = .milliseconds(100)
        let logger = store.logger
        while !Task.isCancelled {
            do {
                let connection = try await store.connect(applicationName: applicationName)
                var listenError: (any Error)?
                do {
                    try await connection.listen(on: PostgresEventLog.channel) { notifications in
                        backoff = .milliseconds(100)
                        await connected()
                        for try await notification in notifications {
                            if let (workspace, head) = Self.parse(notification.payload) {
                                await committed(workspace, head)
                            }
                        }
                    }
                } catch {
                    listenError = error
                }
                await PostgresStore.close(connection)
                if let listenError { throw listenError }
                if Task.isCancelled { return }
                logger.warning("LISTEN connection ended; reconnecting")
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN connection lost; reconnecting",
                               metadata: ["error": "\(PostgresErrors.translate(error))", "retry_in": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// `workspace_id:seq`; the workspace id may itself be empty (daemon events) but
    /// never contains `:` after the last one, so the split is at the last colon.
    static func parse(_ payload: String) -> (String, Int64)? {
        guard let colon = payload.lastIndex(of: ":"),
              let head = Int64(payload[payload.index(after: colon)...]) else { return nil }
        return (String(payload[..<colon]), head)
    }

    public func heads(workspaces: [String]?) async throws -> [String: Int64] {
        do {
            let rows: PostgresRowSequence
            if let workspaces {
                guard !workspaces.isEmpty else { return [:] }
                rows = try await store.client.query(
                    "SELECT workspace_id, head_seq FROM event_cursor WHERE workspace_id = ANY(\(workspaces)::text[])")
            } else {
                rows = try await store.client.query("SELECT workspace_id, head_seq FROM event_cursor")
            }
            var heads: [String: Int64] = [:]
            for try await (workspace, head) in rows.decode((String, Int64).self) { heads[workspace] = head }
            return heads
        } catch {
            throw PostgresErrors.translate(error)
        }
    }
}
