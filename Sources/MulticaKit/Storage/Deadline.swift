import Synchronization

/// Races an operation against a timer without waiting for the loser.
///
/// Threading: the operation runs in a task of its own; when the timer wins, that task is
/// cancelled and left to end by itself, and the caller goes on at once. Used where an
/// await on a remote party (a database pool that is reconnecting) must not hold up a
/// caller that has other work, such as `/readyz` or the cluster feed's one consumer.
enum Deadline {
    /// The continuation whichever side finishes first resumes.
    private final class Slot<T: Sendable>: Sendable {
        let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)
        func resume(_ value: T) -> Bool {
            guard let waiting = continuation.withLock({ $0.take() }) else { return false }
            waiting.resume(returning: value)
            return true
        }
    }

    static func first<T: Sendable>(
        after limit: Duration, otherwise fallback: T, _ operation: @escaping @Sendable () async -> T
    ) async -> T {
        let slot = Slot<T>()
        return await withCheckedContinuation { continuation in
            slot.continuation.withLock { $0 = continuation }
            let work = Task { _ = slot.resume(await operation()) }
            Task {
                try? await Task.sleep(for: limit)
                if slot.resume(fallback) { work.cancel() }
            }
        }
    }
}

extension Deadline {
    /// The operation's value or error, or `StorageError.unavailable` when it took
    /// longer than `limit` (the operation is then cancelled and not awaited).
    static func first<T: Sendable>(
        after limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome: Result<T, any Error> = await first(
            after: limit, otherwise: .failure(StorageError.unavailable("no answer within \(limit)"))
        ) {
            do { return .success(try await operation()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
