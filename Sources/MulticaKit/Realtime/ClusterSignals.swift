/// Hints that some node (this one included) committed events to the shared log
/// (SPEC §4, "Backends"). A hint is only a wake-up: it may be late, duplicated or
/// lost, so `ClusterFeed` treats the log, never the hint, as the truth.
///
/// Implemented in `Storage` (PostgreSQL `LISTEN multica_events`); no database type
/// crosses this protocol.
public protocol ClusterSignals: Sendable {
    /// Runs until the calling task is cancelled, reconnecting with backoff when the
    /// signal source drops. Calls `connected` every time it is (re)established —
    /// anything committed while it was away has to be caught up from the log — and
    /// `committed(workspace, head)` for each hint.
    func run(
        connected: @escaping @Sendable () async -> Void,
        committed: @escaping @Sendable (String, Int64) async -> Void
    ) async

    /// The current head `seq` of each of `workspaces` that has events, or of every
    /// workspace when `workspaces` is nil.
    func heads(workspaces: [String]?) async throws -> [String: Int64]
}
