import Synchronization

/// Fails calls at once while the server is known to be unreachable, instead of letting each
/// one wait for its own connection attempt to time out.
///
/// After a connection failure the gate is open for `window`: every call fails with
/// `PostgresError.Kind.unavailable` without touching the network. Then one call is let
/// through as a probe (the others still fail at once); its success closes the gate, its
/// connection failure opens it for another window. So while the server is away, answers are
/// immediate and at most one caller per window waits on the network; when it is back, the
/// first probe notices.
final class OutageGate: Sendable {
    private enum State {
        case closed
        case open(until: ContinuousClock.Instant)
        case probing
    }

    enum Admission {
        case normal
        /// The one call let through to find out whether the server is back: it must report
        /// `succeeded()` or `failed()`.
        case probe
    }

    let window: Duration
    private let state = Mutex(State.closed)

    init(window: Duration) {
        self.window = window
    }

    func admit(now: ContinuousClock.Instant = .now) throws -> Admission {
        try state.withLock { state in
            switch state {
            case .closed:
                return .normal
            case .open(let until) where now >= until:
                state = .probing
                return .probe
            case .open, .probing:
                throw PostgresError(kind: .unavailable, message: "the database was unreachable moments ago")
            }
        }
    }

    /// True while calls fail at once: within the window after a connection failure, and while
    /// a probe is out. After the window, the next call probes.
    func isFailingFast(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            switch state {
            case .closed: false
            case .open(let until): now < until
            case .probing: true
            }
        }
    }

    /// The server answered (whatever it answered).
    func succeeded() {
        state.withLock { $0 = .closed }
    }

    /// A connection could not be made or broke.
    func failed(now: ContinuousClock.Instant = .now) {
        state.withLock { $0 = .open(until: now + window) }
    }

    /// A probe ended without learning anything (e.g. it was cancelled before connecting):
    /// the next call probes again.
    func abandonProbe(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if case .probing = state { state = .open(until: now) }
        }
    }
}
