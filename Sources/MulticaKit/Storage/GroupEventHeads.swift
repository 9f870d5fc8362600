/// The last `seq` of each workspace that units of one group transaction committed, so
/// that a socket's pipelined publishes (one unit each, many per group) read the
/// workspace's `event_cursor` row once per group instead of once per frame.
///
/// Exactness: `SQLiteRepository.run` records a unit's seqs only once its savepoint is
/// released, so a unit that failed (and was rolled back) never enters it; inside the
/// transaction, on the writer connection, nothing else writes `head_seq`, and no later
/// rollback reaches back past a released unit. A failure of the transaction itself
/// ends the group, and this with it.
///
/// Threading: lives on the writer thread inside `SQLiteRepository.run`; not shared.
final class GroupEventHeads {
    private var heads: [String: Int64] = [:]

    func head(of workspace: String) -> Int64? {
        heads[workspace]
    }

    /// Seqs arrive in increasing order per workspace (a unit's events, then the next unit's).
    func record(_ seq: Int64, of workspace: String) {
        heads[workspace] = seq
    }
}
