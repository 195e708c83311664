import Foundation
import Logging
import Postgres
import Synchronization

/// Claims and runs the jobs of one queue, keeping at most `concurrency` in flight.
///
/// It claims while claims come back full and slots are free, then sleeps until a NOTIFY
/// for its queue, a freed slot, a lease's deadline or the poll interval. A claim is a
/// lease (`JobLease`): its row locks are the claim while it is open, and it closes when its
/// jobs have ended, when its window has passed, or when a new claim needs its place (at
/// most `maxOpenLeases` are open). On shutdown it stops claiming, closes its leases, waits
/// for its jobs up to the deadline, then gives the rest back to the queue.
final class QueueRunner: Sendable {
    let name: String
    let concurrency: Int
    private let context: ProcessorContext
    private let wake = WakeSignal()
    private let notified = Atomic<Bool>(true)
    private let inFlight = Atomic<Int>(0)

    init(name: String, concurrency: Int, context: ProcessorContext) {
        self.name = name
        self.concurrency = concurrency
        self.context = context
    }

    /// New work may be waiting (a NOTIFY, a reconnect).
    func notify() {
        notified.store(true, ordering: .relaxed)
        wake.signal()
    }

    /// A slot may be free, or shutdown began.
    func poke() { wake.signal() }

    func run() async {
        await withDiscardingTaskGroup { group in
            var leases = [JobLease]()
            await claimUntilStopped(group: &group, leases: &leases)
            await drain(leases: &leases)
        }
    }

    private func claimUntilStopped(group: inout DiscardingTaskGroup, leases: inout [JobLease]) async {
        let configuration = context.configuration
        var failures = 0
        var nextPoll = ContinuousClock.now + configuration.pollInterval
        var freeSince: ContinuousClock.Instant?
        while !context.isStopping {
            closeEnded(&leases, in: &group)
            let now = ContinuousClock.now
            let free = concurrency - inFlight.load(ordering: .relaxed)
            freeSince = free > 0 ? (freeSince ?? now) : nil
            let lingered = freeSince.map { now - $0 >= configuration.claimLinger } ?? false
            // Claims wait until every slot is free, or a slot has been free for `claimLinger`:
            // short jobs are claimed in large batches (fewer leases open at once, fewer locked
            // rows for other claims to step over), and no slot idles long.
            if free == concurrency || lingered, notified.exchange(false, ordering: .relaxed) {
                let limit = min(free, configuration.maxClaimBatch)
                do {
                    if leases.count >= configuration.maxOpenLeases {
                        let oldest = leases.removeFirst()
                        group.addTask { await self.close(oldest) }
                    }
                    let (jobs, lease) = try await claim(limit: limit)
                    if let lease { leases.append(lease) }
                    failures = 0
                    freeSince = nil
                    for job in jobs { start(job, lease: lease) }
                    if jobs.count == limit { notified.store(true, ordering: .relaxed) }
                    if jobs.count == limit && free > limit { continue }
                } catch {
                    notified.store(true, ordering: .relaxed)
                    failures += 1
                    context.logger.warning("claim failed", metadata: ["queue": "\(name)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 5), 3000)))
                    continue
                }
            }
            var wakeAt = leases.map(\.deadline).reduce(nextPoll) { min($0, $1) }
            if let freeSince, notified.load(ordering: .relaxed) { wakeAt = min(wakeAt, freeSince + configuration.claimLinger) }
            _ = await wake.wait(timeout: max(wakeAt - .now, .milliseconds(1)))
            if ContinuousClock.now >= nextPoll {
                notified.store(true, ordering: .relaxed)
                nextPoll = .now + configuration.pollInterval
            }
        }
    }

    /// Locks the next batch in a new lease. A batch with a waiting-keyed job, or any batch
    /// when leases are off, is marked running at once and returned without a lease.
    private func claim(limit: Int) async throws -> ([ClaimedJob], JobLease?) {
        let (queue, workerID, name) = (context.queue, context.workerID, self.name)
        let (window, idleTimeout) = (context.configuration.leaseWindow, context.configuration.deadAfter)
        let session = try await context.pool.session()
        do {
            let batch = try await session.run { connection in
                let batch = try queue.beginLease(queue: name, limit: limit, idleTimeout: idleTimeout, on: connection)
                if batch.jobs.isEmpty || batch.hasWaitingKey || window == .zero {
                    try queue.closeLease(nil, results: [], stillRunning: batch.jobs, workerID: workerID, on: connection)
                }
                return batch
            }
            guard !batch.jobs.isEmpty, !batch.hasWaitingKey, window > .zero else {
                session.release()
                return (batch.jobs, nil)
            }
            let lease = JobLease(session: session, jobs: batch.jobs, window: window)
            do {
                try await record(lease, batch.jobs)
            } catch {
                // Without its record a lease's crash would not count: claim for good instead.
                context.logger.warning("cannot record a claim lease; claiming for good", metadata: ["error": "\(error)"])
                _ = try await session.run { connection in
                    try queue.closeLease(nil, results: [], stillRunning: batch.jobs, workerID: workerID, on: connection)
                }
                session.release()
                return (batch.jobs, nil)
            }
            return (batch.jobs, lease)
        } catch {
            await Self.rollBack(session)
            throw error
        }
    }

    /// Records the lease before its jobs start, so that a crash during it counts.
    private func record(_ lease: JobLease, _ jobs: [ClaimedJob]) async throws {
        let (queue, workerID, name, id) = (context.queue, context.workerID, self.name, lease.id)
        try await context.bookkeeping.withConnection { connection in
            try queue.recordLease(id, workerID: workerID, queue: name, startedAt: jobs[0].attemptedAt, jobIDs: jobs.map(\.id), on: connection)
        }
    }

    /// Closes the leases whose jobs have all ended or whose window has passed, each in a
    /// task of its own: a commit waits for the disk, the next claim need not.
    private func closeEnded(_ leases: inout [JobLease], in group: inout DiscardingTaskGroup) {
        let now = ContinuousClock.now
        let ended = leases.filter { $0.isDone || $0.deadline <= now }
        guard !ended.isEmpty else { return }
        leases.removeAll { lease in ended.contains { $0 === lease } }
        for lease in ended { group.addTask { await self.close(lease) } }
    }

    /// Writes the lease's ended attempts, marks its running jobs running, and commits. If
    /// that fails the locks are gone with the transaction: its jobs are stopped (they are
    /// available again, and will run again).
    private func close(_ lease: JobLease) async {
        let (results, stillRunning) = lease.close()
        let (queue, workerID, leaseID) = (context.queue, context.workerID, lease.id)
        do {
            _ = try await lease.session.run { connection in
                try queue.closeLease(leaseID, results: results, stillRunning: stillRunning, workerID: workerID, on: connection)
            }
            lease.session.release()
            lease.closed(committed: true).forEach(context.completer.add)
        } catch {
            _ = lease.closed(committed: false)
            context.logger.warning("closing a claim lease failed; its jobs will run again", metadata: [
                "queue": "\(name)", "error": "\(error)", "jobs": "\(results.count + stillRunning.count)",
            ])
            await Self.rollBack(lease.session)
            for job in stillRunning { context.running.stop(id: job.id, .lost) }
            // Its jobs are available again, unharmed: forget the record (else a later death of
            // this worker would count attempts for them) and look for them again at once.
            _ = try? await context.bookkeeping.withConnection { try queue.forgetLease(leaseID, on: $0) }
            notify()
        }
    }

    private static func rollBack(_ session: PostgresSession) async {
        _ = try? await session.run { connection in
            if connection.isInTransaction { try connection.query("ROLLBACK") }
        }
        session.release()
    }

    private func start(_ job: ClaimedJob, lease: JobLease?) {
        let run = JobRun(job: job, lease: lease) { [self, context, concurrency] end in
            context.running.remove(job.id)
            let free = concurrency - inFlight.subtract(1, ordering: .relaxed).newValue
            let result: JobResult? = if case .outcome(let outcome) = end { JobResult(job: job, outcome: outcome) } else { nil }
            let ended = lease?.end(job, result)
            if ended != true, let result {
                context.completer.add(result)
            }
            // Wake the claim loop only when it has something to do: the first free slot
            // (its linger starts), every slot free, the lease's last job, or shutdown.
            if free == 1 || free == concurrency || (ended == true && lease?.isDone == true) || context.isStopping {
                poke()
            }
        }
        context.running.insert(run)
        inFlight.add(1, ordering: .relaxed)
        JobExecution(run: run, context: context).start()
    }

    private func drain(leases: inout [JobLease]) async {
        // Closing marks whatever still runs as running, so the durable way below applies.
        for lease in leases { await close(lease) }
        leases = []
        let deadline = ContinuousClock.now + context.configuration.shutdownTimeout
        while inFlight.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline {
            await wake.wait(timeout: .milliseconds(100))
        }
        let left = inFlight.load(ordering: .relaxed)
        if left > 0 {
            context.logger.notice("releasing unfinished jobs at shutdown", metadata: ["queue": "\(name)", "jobs": "\(left)"])
            context.running.stopAll(queue: name, .outcome(.released))
        }
    }
}
