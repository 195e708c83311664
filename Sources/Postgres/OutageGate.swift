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
        /// `succeeded()` or `failed()`, or `abandonProbe()` when it never got to connect.
        case probe

        var isProbe: Bool { if case .probe = self { true } else { false } }
    }

    let window: Duration
    /// The state, and how many connections were made so far (a failure that began before
    /// the latest success is stale), under one lock.
    private let state = Mutex((state: State.closed, successes: 0))

    init(window: Duration) {
        self.window = window
    }

    func admit(now: ContinuousClock.Instant = .now) throws -> Admission {
        try state.withLock { gate in
            switch gate.state {
            case .closed:
                return .normal
            case .open(let until) where now >= until:
                gate.state = .probing
                return .probe
            case .open, .probing:
                throw PostgresError(kind: .unavailable, message: "the database was unreachable moments ago")
            }
        }
    }

    /// True while calls fail at once: within the window after a connection failure, and while
    /// a probe is out. After the window, the next call probes.
    func isFailingFast(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { gate in
            switch gate.state {
            case .closed: false
            case .open(let until): now < until
            case .probing: true
            }
        }
    }

    /// How many connections were made so far; give it to `failed(since:)`.
    var generation: Int { state.withLock { $0.successes } }

    /// A connection was made (or a live one reused).
    func succeeded() {
        state.withLock {
            $0.successes += 1
            $0.state = .closed
        }
    }

    /// A connection attempt that began at `generation` failed. Ignored when a connection was
    /// made since it began: an attempt started during the outage and ending after the server
    /// came back must not close the door again.
    func failed(since generation: Int, now: ContinuousClock.Instant = .now) {
        state.withLock {
            guard $0.successes == generation else { return }
            $0.state = .open(until: now + window)
        }
    }

    /// A probe ended without learning anything (e.g. it was cancelled before connecting):
    /// the next call probes again.
    func abandonProbe(now: ContinuousClock.Instant = .now) {
        state.withLock { gate in
            if case .probing = gate.state { gate.state = .open(until: now) }
        }
    }
}
