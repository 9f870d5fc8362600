import Foundation
import Synchronization

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing with `TimedOut` after `seconds`. Every network await in the
/// tests goes through this: one hung test must not stop CI.
///
/// The caller gets the timeout without waiting for `body` to end: `body` is cancelled
/// and left to finish on its own. A task group awaits every child, so a body that
/// ignores cancellation (a `URLSession` request to a server holding its answer, a
/// server's graceful shutdown waiting for that request) hung the test instead of
/// failing it.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String = "operation", _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let first = FirstOutcome<T>()
    let work = Task {
        do { first.settle(.success(try await body())) } catch { first.settle(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        first.settle(.failure(TimedOut(what: what)))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await first.value()
    } onCancel: {
        first.settle(.failure(CancellationError()))
    }
}

/// The first result settled wins; `value()` waits for it. Any thread.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func settle(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<T, any Error>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
