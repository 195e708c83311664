import Foundation
import Postgres
import Synchronization

/// One claim lease in flight: a session whose open transaction holds the row locks of the
/// jobs one claim took, and what became of those jobs.
///
/// Attempts that end while the lease is open are written when it closes, in its
/// transaction: one row write per job. Jobs still running when it closes (its window
/// passed, the runner needs its slot for a new claim, shutdown) are marked running in that
/// same write, and from then on are finished the durable way, through `JobCompleter`.
final class JobLease: Sendable {
    /// The lease's record in `job_leases`.
    let id = UUID()
    let session: PostgresSession
    let deadline: ContinuousClock.Instant
    private let state: Mutex<State>

    private struct State {
        var running: [Int: ClaimedJob]
        var results: [JobResult] = []
        var phase = Phase.open
        /// Results of jobs marked running by a close not yet committed: written the durable
        /// way once it is (before, a write fenced on `running` would find the old row).
        var late: [JobResult] = []
    }

    private enum Phase { case open, closing, closed }

    init(session: PostgresSession, jobs: [ClaimedJob], window: Duration) {
        self.session = session
        deadline = .now + window
        state = Mutex(State(running: Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })))
    }

    /// Takes how one of the lease's attempts ended (nil: nothing to write). False once the
    /// lease has closed: the job was marked running, so its result goes the durable way.
    func end(_ job: ClaimedJob, _ result: JobResult?) -> Bool {
        state.withLock { state in
            switch state.phase {
            case .open:
                state.running[job.id] = nil
                if let result { state.results.append(result) }
            case .closing:
                if let result { state.late.append(result) }
            case .closed:
                return false
            }
            return true
        }
    }

    /// Whether the job is still covered by the lease's lock: until the close has committed,
    /// the database does not show it running, so heartbeats must not speak for it.
    func holds(_ id: Int) -> Bool {
        state.withLock { $0.phase != .closed && $0.running[id] != nil }
    }

    /// Whether every attempt of the lease has ended.
    var isDone: Bool { state.withLock { $0.running.isEmpty } }

    /// Begins closing: the results to write, and the jobs to mark running.
    func close() -> (results: [JobResult], stillRunning: [ClaimedJob]) {
        state.withLock { state in
            state.phase = .closing
            defer { state.results = [] }
            return (state.results, state.running.values.sorted { $0.id < $1.id })
        }
    }

    /// Ends closing. After a commit, returns the results of marked jobs that ended meanwhile
    /// (to write the durable way); after a failure they are dropped (the jobs run again).
    func closed(committed: Bool) -> [JobResult] {
        state.withLock { state in
            state.phase = .closed
            defer { state.late = [] }
            return committed ? state.late : []
        }
    }
}
