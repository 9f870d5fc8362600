import Dispatch
import GRDBSQLite
import Foundation
import Synchronization
import Testing
@testable import MulticaKit

/// `readInline` blocks a cooperative-pool thread for one statement. If it waited for
/// one of GRDB's readers, which async reads give back only after resuming on that same
/// pool, a burst that blocked every pool thread so would never end: the server went
/// silent with 10,000 sockets joining at once (their membership checks inline, their
/// log reads async). Inline reads now have connections of their own.
@Suite("SQLite inline reads")
struct SQLiteInlineReadTests {
    @Test func inlineReadsDoNotWaitForReadersThatAsyncReadsHold() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-inline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("inline.db").path)

        // A deadlock would leave no cooperative thread to fail the test on: end the
        // run from a plain thread instead of letting CI hang.
        let finished = Atomic<Bool>(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) {
            guard !finished.load(ordering: .relaxed) else { return }
            FileHandle.standardError.write(Data("SQLiteInlineReadTests: inline reads deadlocked with async reads\n".utf8))
            exit(70)
        }
        defer { finished.store(true, ordering: .relaxed) }

        // Every GRDB reader held by an async read whose body waits on a plain thread.
        let readers = database.pool.configuration.maximumReaderCount
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = (0..<readers).map { _ in
            Task {
                try await database.read { db -> Int in
                    entered.signal()
                    release.wait()
                    return try Int.fetchOne(db, sql: "SELECT 1") ?? 0
                }
            }
        }
        try await waitOnPlainThread(entered, count: readers)

        // More inline reads than the cooperative pool has threads, each blocking one.
        let width = ProcessInfo.processInfo.activeProcessorCount
        let inline = (0..<(width * 2)).map { _ in
            Task { try database.readInline { db in try Int.fetchOne(db, sql: "SELECT 1") ?? 0 } }
        }
        // Let the inline reads take the pool's threads, then let the async reads finish:
        // they must find a thread to resume on and give their readers back.
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<readers { release.signal() }

        for task in inline { #expect(try await task.value == 1) }
        for task in held { #expect(try await task.value == 1) }
    }

    /// Waits for `count` signals without blocking a cooperative thread.
    private func waitOnPlainThread(_ semaphore: DispatchSemaphore, count: Int) async throws {
        let ok = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async {
                for _ in 0..<count where semaphore.wait(timeout: .now() + 30) == .timedOut {
                    return done.resume(returning: false)
                }
                done.resume(returning: true)
            }
        }
        try #require(ok, "the async reads never started")
    }
}

/// `multica_sqlite_configure`: when it took effect (it does unless SQLite was already in
/// use in the process), connections run in multi-thread mode, without a mutex of their
/// own; when it did not, they keep SQLite's serialized default.
@Suite("SQLite library settings")
struct SQLiteLibrarySettingsTests {
    @Test func connectionsRunInTheModeTheSettingsReport() async throws {
        try await withTempDatabase { database in
            let hasMutex = try database.pool.write { db in sqlite3_db_mutex(db.sqliteConnection) != nil }
            #expect(hasMutex == !SQLiteDatabase.libraryConfigured)
            let readerHasMutex = try database.readInline { db in sqlite3_db_mutex(db.sqliteConnection) != nil }
            #expect(readerHasMutex == hasMutex)
        }
    }
}
