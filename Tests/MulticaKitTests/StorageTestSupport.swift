import Foundation
@testable import MulticaKit

/// Runs `body` on a fresh database in a unique temporary directory, removed afterwards.
func withTempDatabase<T>(_ body: (SQLiteDatabase) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-storage-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    // A nested path also checks that parent directories are created.
    let database = try SQLiteDatabase(path: directory.appendingPathComponent("nested/multica.db").path)
    return try await body(database)
}

/// The error `body` throws as a `StorageError`, or nil when it does not throw one.
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        return nil
    }
}

func isConflict(_ error: StorageError?) -> Bool {
    if case .conflict = error { return true }
    return false
}

func isInvalid(_ error: StorageError?) -> Bool {
    if case .invalid = error { return true }
    return false
}

func isCheckViolation(_ error: StorageError?) -> Bool {
    if case .invalid(let message) = error { return message.contains("CHECK constraint failed") }
    return false
}

func isNotFound(_ error: StorageError?) -> Bool {
    if case .notFound = error { return true }
    return false
}

func testEvent(_ workspace: String, type: String = "issue:updated", payload: String = #"{"n":1}"#, at date: Date = Date()) -> NewEvent {
    NewEvent(
        type: EventType(rawValue: type)!, workspaceID: workspace, actorType: .member, actorID: "user_1",
        payload: try! RawJSONObject(validating: payload), timestamp: date
    )
}

extension SQLiteRepository {
    /// Runs `work` as one unit of work through a publisher with no listeners: the only
    /// way a write reaches storage. Returns the closure's value.
    @discardableResult
    func write<T: Sendable>(_ work: @escaping @Sendable (any UnitOfWork) throws -> T) async throws -> T {
        try await EventPublisher(backend: self, bus: EventBus()).unit(work).value
    }

    /// The unit's committed events too.
    func commit<T: Sendable>(_ work: @escaping @Sendable (any UnitOfWork) throws -> T) async throws -> Committed<T> {
        try await EventPublisher(backend: self, bus: EventBus()).unit(work)
    }
}

extension SQLiteEventLog {
    /// Appends `events` as one unit of work on this log's database, synchronously (the
    /// way the publisher's writer thread runs a unit). Throws the storage error of a
    /// refused append.
    func append(_ events: [NewEvent]) throws -> [EventEnvelope] {
        switch try SQLiteRepository(database: database).run([{ unit in for event in events { unit.append(event) }; return () }])[0] {
        case .committed(_, let envelopes): return envelopes
        case .failed(let error as EventAppendFailed): throw error.underlying
        case .failed(let error): throw error
        }
    }
}
