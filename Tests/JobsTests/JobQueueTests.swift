import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// The queue's SQL against a real PostgreSQL, one fresh database per test.
@Suite struct JobQueueTests {
    let queue = JobQueue()

    func job(_ kind: String = "test.kind", queue: String? = nil, _ options: JobOptions = JobOptions()) -> NewJob {
        var options = options
        options.queue = queue ?? options.queue
        return NewJob(kind: kind, args: #"{"n": 1}"#, options: options)
    }

    func job(_ options: JobOptions) -> NewJob { job("test.kind", options) }

    @Test func claimNeverHandsOutAJobTwice() async throws {
        try await TestDatabase.with(poolSize: 10) { _, pool in
            let jobs = (0..<3000).map { _ in job() }
            let enqueued = try await queue.enqueue(jobs, pool: pool)
            #expect(enqueued.count == 3000)
            let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var mine = [Int]()
                        let worker = UUID()
                        while true {
                            let batch = try await queue.claim(queue: "default", limit: 37, workerID: worker, pool: pool)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(claimed.count == 3000)
            #expect(Set(claimed) == Set(enqueued))
        }
    }

    @Test func claimTakesBestPriorityThenOldestAndSkipsFutureJobs() async throws {
        try await TestDatabase.with { _, pool in
            let low = try await queue.enqueue(job(JobOptions(priority: 5)), pool: pool).id
            let high = try await queue.enqueue(job(JobOptions(priority: -1)), pool: pool).id
            let later = try await queue.enqueue(job(JobOptions(runAt: Date().addingTimeInterval(3600))), pool: pool).id
            let normal = try await queue.enqueue(job(), pool: pool).id
            let claimed = try await queue.claim(queue: "default", limit: 10, workerID: UUID(), pool: pool)
            #expect(claimed.count == 3)
            #expect(!claimed.map(\.id).contains(later))
            // The first claim of one takes the best priority.
            let again = try await queue.enqueue([job(JobOptions(priority: 5)), job(JobOptions(priority: -3))], pool: pool)
            let one = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)
            #expect(one.map(\.id) == [again[1]])
            _ = (low, high, normal)
        }
    }

    @Test func failedAttemptsBackOffThenFailForGoodKeepingEveryError() async throws {
        try await TestDatabase.with { _, pool in
            let id = try await queue.enqueue(job(JobOptions(maxAttempts: 3)), pool: pool).id
            for attempt in 1...3 {
                try await pool.query("UPDATE jobs SET run_at = now() WHERE id = \(id)")
                let claimed = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)
                #expect(claimed.first?.attempt == attempt)
                let result = JobResult(job: claimed[0], outcome: .failed(error: "boom \(attempt)", retryable: true))
                #expect(try await queue.finish([result], pool: pool) == [id])
                let record = try await pool.withConnection { try queue.find(id: id, on: $0) }!
                #expect(record.errors.map(\.error) == (1...attempt).map { "boom \($0)" })
                if attempt < 3 {
                    #expect(record.state == .available)
                    // Backoff: about 2^(attempt-1) seconds, ±20 %.
                    let delay = try await pool.query("""
                        SELECT extract(epoch FROM run_at - (errors->-1->>'at')::timestamptz)::float8 AS delay FROM jobs WHERE id = \(id)
                        """).first!.decode("delay", as: Double.self)
                    let expected = pow(2.0, Double(attempt - 1))
                    #expect(delay > expected * 0.7 && delay < expected * 1.3)
                } else {
                    #expect(record.state == .failed)
                    #expect(record.finishedAt != nil)
                }
            }
        }
    }

    @Test func aNonRetryableFailureFailsAtOnce() async throws {
        try await TestDatabase.with { _, pool in
            let id = try await queue.enqueue(job(), pool: pool).id
            let claimed = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)
            try await queue.finish([JobResult(job: claimed[0], outcome: .failed(error: "bad args", retryable: false))], pool: pool)
            let record = try await pool.withConnection { try queue.find(id: id, on: $0) }!
            #expect(record.state == .failed)
            #expect(record.attempt == 1)
        }
    }

    @Test func theOldOwnerOfARescuedJobCannotFinishIt() async throws {
        try await TestDatabase.with { _, pool in
            let id = try await queue.enqueue(job(), pool: pool).id
            let dead = UUID()
            try await pool.withConnection { try queue.registerWorker(id: dead, queues: ["default": 1], on: $0) }
            let first = try await queue.claim(queue: "default", limit: 1, workerID: dead, pool: pool)[0]
            // The worker stops heartbeating; the rescuer gives its job back.
            try await pool.query("UPDATE workers SET heartbeat_at = now() - interval '1 hour' WHERE id = \(dead)")
            let rescued = try await pool.withConnection { try queue.rescueStuckJobs(deadAfter: .seconds(10), on: $0) }
            #expect(rescued == [id])
            let second = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)[0]
            #expect(second.attempt == 2)
            // The old owner wakes up: its completion, failure and heartbeat change nothing.
            #expect(try await queue.finish([JobResult(job: first, outcome: .completed)], pool: pool).isEmpty)
            #expect(try await queue.finish([JobResult(job: first, outcome: .failed(error: "late", retryable: true))], pool: pool).isEmpty)
            #expect(try await pool.withConnection { try queue.heartbeat(job: first, on: $0) } == .lost)
            var record = try await pool.withConnection { try queue.find(id: id, on: $0) }!
            #expect(record.state == .running)
            #expect(record.errors.count == 1)
            #expect(record.errors[0].error.contains("rescued"))
            #expect(try await queue.finish([JobResult(job: second, outcome: .completed)], pool: pool) == [id])
            record = try await pool.withConnection { try queue.find(id: id, on: $0) }!
            #expect(record.state == .completed)
        }
    }

    @Test func aUniqueKeyAllowsOneLiveJob() async throws {
        try await TestDatabase.with { _, pool in
            let first = try await queue.enqueue(job(JobOptions(uniqueKey: "doc-42")), pool: pool)
            let second = try await queue.enqueue(job(JobOptions(uniqueKey: "doc-42")), pool: pool)
            #expect(first.inserted && !second.inserted)
            #expect(second.id == first.id)
            let bulk = try await queue.enqueue([job(JobOptions(uniqueKey: "doc-42")), job(JobOptions(uniqueKey: "doc-43"))], pool: pool)
            #expect(bulk.count == 1)
            // Once the job is finished the key is free again.
            let claimed = try await queue.claim(queue: "default", limit: 10, workerID: UUID(), pool: pool)
            try await queue.finish(claimed.map { JobResult(job: $0, outcome: .completed) }, pool: pool)
            #expect(try await queue.enqueue(job(JobOptions(uniqueKey: "doc-42")), pool: pool).inserted)
        }
    }

    @Test func aWaitingKeyAllowsOneJobNotYetStartedButNewWorkDuringARunGetsItsOwn() async throws {
        try await TestDatabase.with { _, pool in
            let first = try await queue.enqueue(job(JobOptions(waitingKey: "session-7")), pool: pool)
            let second = try await queue.enqueue(job(JobOptions(waitingKey: "session-7")), pool: pool)
            #expect(first.inserted && !second.inserted && second.id == first.id)
            _ = try await queue.claim(queue: "default", limit: 10, workerID: UUID(), pool: pool)
            let duringRun = try await queue.enqueue(job(JobOptions(waitingKey: "session-7")), pool: pool)
            #expect(duringRun.inserted && duringRun.id != first.id)
        }
    }

    @Test func snoozeWaitsWithoutUsingUpAnAttempt() async throws {
        try await TestDatabase.with { _, pool in
            let id = try await queue.enqueue(job(JobOptions(maxAttempts: 1)), pool: pool).id
            let claimed = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)[0]
            try await queue.finish([JobResult(job: claimed, outcome: .snoozed(delay: .seconds(60)))], pool: pool)
            let record = try await pool.withConnection { try queue.find(id: id, on: $0) }!
            #expect(record.state == .available)
            #expect(record.maxAttempts == 2)
            // Due a minute after the snooze (the claim came just before it), whatever the load.
            #expect(record.runAt.timeIntervalSince(record.attemptedAt!) >= 60)
            #expect(record.runAt > Date())
            #expect(record.errors.isEmpty)
        }
    }

    @Test func cancelStopsAvailableJobsAtOnceAndRunningJobsThroughTheirWorker() async throws {
        try await TestDatabase.with { _, pool in
            let waiting = try await queue.enqueue(job(), pool: pool).id
            #expect(try await pool.withConnection { try queue.cancel(id: waiting, on: $0) } == .cancelled)
            #expect(try await pool.withConnection { try queue.cancel(id: waiting, on: $0) } == .alreadyFinished(.cancelled))
            let running = try await queue.enqueue(job(), pool: pool).id
            let claimed = try await queue.claim(queue: "default", limit: 1, workerID: UUID(), pool: pool)[0]
            #expect(claimed.id == running)
            #expect(try await pool.withConnection { try queue.cancel(id: running, on: $0) } == .stopping)
            // The worker stops the job; whatever it reports, the job ends cancelled.
            try await queue.finish([JobResult(job: claimed, outcome: .failed(error: "stopped", retryable: true))], pool: pool)
            #expect(try await pool.withConnection { try queue.find(id: running, on: $0) }?.state == .cancelled)
            #expect(try await pool.withConnection { try queue.cancel(id: 999_999, on: $0) } == nil)
        }
    }

    @Test func aPausedQueueHandsOutNothingUntilResumed() async throws {
        try await TestDatabase.with { _, pool in
            try await pool.withConnection { try queue.setPaused(true, queue: "default", on: $0) }
            try await queue.enqueue([job(), job(queue: "other")], pool: pool)
            #expect(try await queue.claim(queue: "default", limit: 5, workerID: UUID(), pool: pool).isEmpty)
            #expect(try await queue.claim(queue: "other", limit: 5, workerID: UUID(), pool: pool).count == 1)
            let paused = try await pool.withConnection { try queue.queues(on: $0) }
            #expect(paused.first { $0.name == "default" }?.paused == true)
            try await pool.withConnection { try queue.setPaused(false, queue: "default", on: $0) }
            #expect(try await queue.claim(queue: "default", limit: 5, workerID: UUID(), pool: pool).count == 1)
        }
    }

    @Test func retryRunsFailedJobsAgain() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await queue.enqueue([job("kind.a", JobOptions(maxAttempts: 1)), job("kind.a", JobOptions(maxAttempts: 1)), job("kind.b", JobOptions(maxAttempts: 1))], pool: pool)
            let claimed = try await queue.claim(queue: "default", limit: 3, workerID: UUID(), pool: pool)
            try await queue.finish(claimed.map { JobResult(job: $0, outcome: .failed(error: "x", retryable: true)) }, pool: pool)
            let retried = try await pool.withConnection { try queue.retry(failedOfKind: "kind.a", on: $0) }
            #expect(Set(retried) == Set(ids.prefix(2)))
            let again = try await queue.claim(queue: "default", limit: 3, workerID: UUID(), pool: pool)
            #expect(Set(again.map(\.id)) == Set(ids.prefix(2)))
            #expect(again.allSatisfy { $0.attempt == 2 && $0.maxAttempts == 2 })
            #expect(try await pool.withConnection { try queue.retry(id: ids[2], on: $0) } == [ids[2]])
        }
    }

    @Test func pruneDeletesOnlyOldFinishedJobs() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await queue.enqueue((0..<5).map { _ in job() }, pool: pool)
            let claimed = try await queue.claim(queue: "default", limit: 3, workerID: UUID(), pool: pool)
            try await queue.finish(claimed.map { JobResult(job: $0, outcome: .completed) }, pool: pool)
            try await pool.query("UPDATE jobs SET finished_at = now() - interval '2 days' WHERE id = ANY(\(claimed.prefix(2).map(\.id)))")
            let deleted = try await pool.withConnection { try queue.prune(olderThan: .seconds(86400), batchSize: 1, on: $0) }
            #expect(deleted == 2)
            let left = try await pool.query("SELECT count(*) AS n FROM jobs").first!.decode("n", as: Int.self)
            #expect(left == ids.count - 2)
        }
    }

    @Test func periodicJobsAreEnqueuedOncePerTickByRacingProcesses() async throws {
        try await TestDatabase.with(poolSize: 6) { _, pool in
            let periodic = [PeriodicJob(name: "tick", interval: .seconds(3600), job: job("periodic.kind"))]
            for round in 1...8 {
                // The tick has come (as if an hour had passed): four processes race for it.
                try await pool.query("UPDATE periodic_jobs SET next_run_at = now() - interval '1 second'")
                let winners = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 {
                        group.addTask { try await pool.withTransaction { try queue.enqueueDuePeriodicJobs(periodic, on: $0) }.count }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(winners == 1, "round \(round): \(winners) processes enqueued")
                // A second look in the same tick enqueues nothing.
                #expect(try await pool.withTransaction { try queue.enqueueDuePeriodicJobs(periodic, on: $0) }.isEmpty)
                let claimed = try await queue.claim(queue: "default", limit: 10, workerID: UUID(), pool: pool)
                #expect(claimed.count == 1)
                try await queue.finish(claimed.map { JobResult(job: $0, outcome: .completed) }, pool: pool)
            }
            let next = try await pool.query("SELECT next_run_at > now() AS ahead FROM periodic_jobs").first!.decode("ahead", as: Bool.self)
            #expect(next)
        }
    }

    @Test func bulkEnqueueInsideTheCallersTransactionRollsBackWithIt() async throws {
        try await TestDatabase.with { _, pool in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try queue.enqueue([job(), job()], on: connection)
                    throw Abort()
                }
            }
            let count = try await pool.query("SELECT count(*) AS n FROM jobs").first!.decode("n", as: Int.self)
            #expect(count == 0)
        }
    }
}
