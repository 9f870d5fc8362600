/// The last `seq` of each workspace that units of one group transaction committed.
///
/// Under pipelined socket publishing a group holds many units of one event each; with
/// this, each unit takes its seq from here instead of reading the workspace's
/// `event_cursor` row, and the row is written once, after the group's last unit
/// (`SQLiteEventLog.writeHeads`), instead of once per unit. Each was one statement per
/// published event; at 100 sockets (`one.sh wsp 100 10000`, alternated) the read took
/// a delivery from 0.60–0.64 to 0.56 µs, the write from a median of 0.58 to 0.54.
///
/// Exactness: `SQLiteRepository.run` records a unit's seqs only once its savepoint is
/// released, so a unit that failed (and was rolled back) never enters it; nothing
/// else in a unit reads or writes `head_seq`, and no later rollback reaches back past
/// a released unit. The cursor rows are written in the same transaction as the events,
/// so a reader never sees one without the other; a failure writing them fails the
/// whole group.
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

    /// Every workspace with its head, in no particular order.
    var all: [(workspace: String, head: Int64)] {
        heads.map { ($0.key, $0.value) }
    }
}
