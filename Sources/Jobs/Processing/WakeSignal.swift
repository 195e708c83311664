import Synchronization

/// A wake-up call for one waiting task: `signal()` wakes the waiter, or the next `wait`
/// returns at once if nobody was waiting. Signals do not queue up beyond one.
public final class WakeSignal: Sendable {
    private struct State: ~Copyable {
        var pending = false
        var waiter: CheckedContinuation<Bool, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiting task, or, when none waits, makes the next `wait` return at once.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Waits until signalled (true) or until `timeout` passes or the task is cancelled (false).
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        if state.withLock({ state in defer { state.pending = false }; return state.pending }) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            var signalled = await group.next() ?? false
            group.cancelAll()
            // A signal that landed while the timeout won still counts.
            for await result in group where result { signalled = true }
            return signalled
        }
    }

    private func waitForSignal() async -> Bool {
        let generation = state.withLock { state -> Int in
            state.generation += 1
            return state.generation
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Bool? in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled || state.generation != generation { return false }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                state.generation += 1
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
    }
}
