import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// Claim leases against a real PostgreSQL: a lease locks without writing, its close writes
/// each job once, a lease that dies frees its jobs at once, and the rescuer counts the
/// attempts of dead workers' leases.
@Suite struct JobLeaseTests {
    let queue = JobQueue()

    func enqueue(_ count: Int, maxAttempts: Int = 25, _ pool: PostgresPool) async throws -> [Int] {
        try await queue.enqueue((0..<count).map { _ in
            NewJob(kind: "test.kind", args: #"{"n": 1}"#, options: JobOptions(maxAttempts: maxAttempts))
        }, pool: pool)
    }

    func record(_ id: Int, _ pool: PostgresPool) async throws -> JobRecord {
        try #require(try await pool.withConnection { try queue.find(id: id, on: $0) })
    }

    func register(_ worker: UUID, _ pool: PostgresPool) async throws {
        try await pool.withConnection { try queue.registerWorker(id: worker, queues: ["default": 1], on: $0) }
    }

    @Test func aLeaseLocksWithoutWritingAndItsCloseWritesEachJobOnce() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await enqueue(5, pool)
            let worker = UUID()
            let first = try await pool.session()
            let second = try await pool.session()
            defer { first.release(); second.release() }

            try await register(worker, pool)
            let batch = try await first.run { try queue.beginLease(queue: "default", limit: 3, idleTimeout: .seconds(60), on: $0) }
            #expect(batch.jobs.map(\.id) == Array(ids.prefix(3)))
            let leaseID = UUID()
            try await pool.withConnection { connection in
                try queue.recordLease(leaseID, workerID: worker, queue: "default", startedAt: batch.jobs[0].attemptedAt,
                                      jobIDs: batch.jobs.map(\.id), on: connection)
            }
            #expect(batch.jobs.allSatisfy { $0.attempt == 1 })
            #expect(!batch.hasWaitingKey)
            // Nothing is written while the lease is open.
            for id in ids.prefix(3) {
                let row = try await record(id, pool)
                #expect(row.state == .available && row.attempt == 0 && row.attemptedAt == nil)
            }
            // Another lease skips the locked rows.
            let other = try await second.run { try queue.beginLease(queue: "default", limit: 10, idleTimeout: .seconds(60), on: $0) }
            #expect(other.jobs.map(\.id) == Array(ids.suffix(2)))

            let jobs = batch.jobs
            let written = try await first.run { connection in
                try queue.closeLease(leaseID, results: [
                    JobResult(job: jobs[0], outcome: .completed),
                    JobResult(job: jobs[1], outcome: .failed(error: "boom", retryable: true)),
                ], stillRunning: [jobs[2]], workerID: worker, on: connection)
            }
            #expect(Set(written) == Set(ids.prefix(3)))
            // The close took the lease's record with it.
            #expect(try await pool.query("SELECT count(*) AS n FROM job_leases").first!.decode("n", as: Int.self) == 0)
            let completed = try await record(ids[0], pool)
            #expect(completed.state == .completed && completed.attempt == 1 && completed.workerID == worker)
            #expect(completed.attemptedAt != nil && completed.finishedAt != nil)
            let retried = try await record(ids[1], pool)
            #expect(retried.state == .available && retried.attempt == 1)
            #expect(retried.runAt.timeIntervalSince(try #require(retried.attemptedAt)) > 0.5, "retried after its backoff")
            #expect(retried.errors.map(\.error) == ["boom"] && retried.errors[0].attempt == 1)
            let promoted = try await record(ids[2], pool)
            #expect(promoted.state == .running && promoted.attempt == 1 && promoted.workerID == worker)
            // From now on the promoted job is finished the durable way, fenced on its attempt.
            #expect(try await queue.finish([JobResult(job: jobs[2], outcome: .completed)], pool: pool) == [ids[2]])
            #expect(try await record(ids[2], pool).state == .completed)

            // Nothing locked: the lease commits and writes nothing.
            try await second.run { try queue.closeLease(nil, results: [], stillRunning: [], workerID: worker, on: $0) }
            #expect(try await record(ids[4], pool).state == .available)
        }
    }

    @Test func aLeaseThatDiesFreesItsJobsAtOnceAndTheRescuerCountsTheirAttempt() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await enqueue(2, pool)
            let last = try await enqueue(1, maxAttempts: 1, pool)[0]
            let dead = UUID()
            try await register(dead, pool)
            let session = try await pool.session()
            let batch = try await session.run { try queue.beginLease(queue: "default", limit: 10, idleTimeout: .seconds(60), on: $0) }
            #expect(batch.jobs.count == 3)
            try await pool.withConnection { connection in
                try queue.recordLease(UUID(), workerID: dead, queue: "default", startedAt: batch.jobs[0].attemptedAt,
                                      jobIDs: batch.jobs.map(\.id), on: connection)
            }
            // The worker's process dies: its connection goes, its transaction with it.
            let backend = try await session.run { $0.backendPID }
            try await pool.query("SELECT pg_terminate_backend(\(backend))")
            session.release()
            try await eventually("the dead lease's rows to be unlocked") {
                try await pool.query("SELECT count(*) AS n FROM (SELECT id FROM jobs FOR UPDATE SKIP LOCKED) AS free").first!.decode("n", as: Int.self) == 3
            }
            #expect(try await record(ids[0], pool).attempt == 0)

            // Once the worker counts as dead, each of its leased jobs gets its attempt.
            try await pool.query("UPDATE workers SET heartbeat_at = now() - interval '1 hour' WHERE id = \(dead)")
            let rescued = try await pool.withConnection { try queue.rescueStuckJobs(deadAfter: .seconds(10), on: $0) }
            #expect(Set(rescued) == Set(ids + [last]))
            for id in ids {
                let row = try await record(id, pool)
                #expect(row.state == .available && row.attempt == 1 && row.workerID == dead)
                #expect(row.errors.count == 1 && row.errors[0].error.contains("exited"))
            }
            // A job that kills its worker on its last attempt fails for good.
            let poisoned = try await record(last, pool)
            #expect(poisoned.state == .failed && poisoned.attempt == 1 && poisoned.finishedAt != nil)
            #expect(try await pool.query("SELECT count(*) AS n FROM job_leases").first!.decode("n", as: Int.self) == 0)
            // Counted once: another pass finds nothing.
            #expect(try await pool.withConnection { try queue.rescueStuckJobs(deadAfter: .seconds(10), on: $0) }.isEmpty)
        }
    }

    @Test func theRescuerLeavesAloneJobsWrittenSinceADeadWorkersLeaseBegan() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await enqueue(2, pool)
            let dead = UUID()
            try await register(dead, pool)
            let session = try await pool.session()
            defer { session.release() }
            let batch = try await session.run { try queue.beginLease(queue: "default", limit: 10, idleTimeout: .seconds(60), on: $0) }
            try await pool.withConnection { connection in
                try queue.recordLease(UUID(), workerID: dead, queue: "default", startedAt: batch.jobs[0].attemptedAt,
                                      jobIDs: batch.jobs.map(\.id), on: connection)
            }
            let jobs = batch.jobs
            try await session.run { connection in
                try queue.closeLease(nil, results: [
                    JobResult(job: jobs[0], outcome: .completed),
                    JobResult(job: jobs[1], outcome: .failed(error: "boom", retryable: true)),
                ], stillRunning: [], workerID: dead, on: connection)
            }
            // The worker dies after its lease closed: its record is stale, nothing to count.
            try await pool.query("UPDATE workers SET heartbeat_at = now() - interval '1 hour' WHERE id = \(dead)")
            #expect(try await pool.withConnection { try queue.rescueStuckJobs(deadAfter: .seconds(10), on: $0) }.isEmpty)
            #expect(try await record(ids[0], pool).state == .completed)
            let retried = try await record(ids[1], pool)
            #expect(retried.attempt == 1 && retried.errors.map(\.error) == ["boom"])
        }
    }

    @Test func aBatchWithAWaitingKeyedJobSaysSo() async throws {
        try await TestDatabase.with { _, pool in
            _ = try await enqueue(1, pool)
            _ = try await queue.enqueue(NewJob(kind: "test.kind", options: JobOptions(waitingKey: "k")), pool: pool)
            let session = try await pool.session()
            defer { session.release() }
            let batch = try await session.run { try queue.beginLease(queue: "default", limit: 10, idleTimeout: .seconds(60), on: $0) }
            #expect(batch.jobs.count == 2 && batch.hasWaitingKey)
            try await session.run { try queue.closeLease(nil, results: [], stillRunning: batch.jobs, workerID: UUID(), on: $0) }
            // Marked running and committed: new work under the key gets a job of its own.
            let again = try await queue.enqueue(NewJob(kind: "test.kind", options: JobOptions(waitingKey: "k")), pool: pool)
            #expect(again.inserted)
        }
    }

    @Test func aJobInTwoDeadLeasesGetsAnAttemptForEach() async throws {
        try await TestDatabase.with { _, pool in
            let id = try await enqueue(1, pool)[0]
            let dead = UUID()
            try await register(dead, pool)
            let started = Date()
            for offset in [0.0, 1.0] {
                try await pool.withConnection { connection in
                    try queue.recordLease(UUID(), workerID: dead, queue: "default", startedAt: started.addingTimeInterval(offset),
                                          jobIDs: [id], on: connection)
                }
            }
            try await pool.query("UPDATE workers SET heartbeat_at = now() - interval '1 hour' WHERE id = \(dead)")
            #expect(try await pool.withConnection { try queue.rescueStuckJobs(deadAfter: .seconds(10), on: $0) } == [id])
            let row = try await record(id, pool)
            #expect(row.attempt == 2 && row.errors.map(\.attempt) == [1, 2])
        }
    }
}
