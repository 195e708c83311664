import Logging
import Synchronization

// The pool's book-keeping: who holds a connection, who waits for one, and giving up a
// wait at the acquire time-out.

extension PostgresPool {
    enum Lease: @unchecked Sendable {
        case existing(PostgresConnection)
        /// Permission to open a new connection (a slot is counted for it).
        case new
    }

    struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Lease, Error>
        /// Fails the wait at the acquire time-out; cancelled when the wait ends otherwise.
        var timer: Task<Void, Never>?
    }

    struct PoolState: ~Copyable {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
    }

    func acquire() async throws -> Lease {
        try await withCheckedThrowingContinuation { continuation in
            let lease: Result<Lease, Error>? = state.withLock { state in
                if state.closed { return .failure(PostgresError(kind: .poolClosed, message: "pool is closed")) }
                if let connection = state.idle.popLast() { return .success(.existing(connection)) }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .success(.new)
                }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                let timer = configuration.acquireTimeout.map { timeout in
                    Task { [self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        giveUp(waiter: id, after: timeout)
                    }
                }
                state.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
                return nil
            }
            if let lease { continuation.resume(with: lease) }
        }
    }

    /// Fails a caller still waiting for a connection after `timeout`.
    private func giveUp(waiter id: Int, after timeout: Duration) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: PostgresError(
            kind: .unavailable, message: "no database connection was free within \(timeout) (all \(configuration.maxConnections) busy)"))
    }

    /// Returns a connection (or, if it broke, its slot) to the pool or to the first waiter.
    func release(_ connection: PostgresConnection?, broken: Bool) {
        let keep = broken ? nil : connection
        if broken { connection?.close() }
        let (waiter, closeIt): (CheckedContinuation<Lease, Error>?, Bool) = state.withLock { state in
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                waiter.timer?.cancel()
                return (waiter.continuation, false)
            }
            if state.closed || keep == nil {
                state.open -= 1
                return (nil, state.closed)
            }
            state.idle.append(keep!)
            return (nil, false)
        }
        if let waiter {
            waiter.resume(returning: keep.map { .existing($0) } ?? .new)
        } else if closeIt {
            keep?.close()
        }
    }
}

/// What became of one call's connecting, shared between the calling task and the pool
/// thread that does the work.
final class ConnectOutcome: Sendable {
    private struct State {
        var started = false
        var reported = false
    }
    private let state = Mutex(State())

    /// A pool thread took the work.
    func markStarted() { state.withLock { $0.started = true } }
    var started: Bool { state.withLock { $0.started } }

    /// The outage gate was told whether connecting worked.
    func report() { state.withLock { $0.reported = true } }
    var wasReported: Bool { state.withLock { $0.reported } }
}
