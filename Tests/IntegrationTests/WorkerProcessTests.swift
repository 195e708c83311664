import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// Real `context0-worker` processes against a fresh database each: rescue after SIGKILL,
/// graceful shutdown, retries, cancellation, pausing and NOTIFY wake-ups.
///
/// Serialized so the latency test does not share two cores with a handful of other workers.
@Suite(.serialized) struct WorkerProcessTests {
    @Test func sigkilledWorkersJobIsRescuedAndCompletedByAnotherWorker() async throws {
        try await TestDatabase.with { database, pool in
            let first = try await ChildProcess.worker(database, pool: pool)
            defer { first.stopNow() }
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 10000}"#)
            try await pool.waitForJob(id, "to run") { $0.state == .running }
            first.signal(SIGKILL)
            try await first.waitForExit(timeout: .seconds(120))

            let second = try await ChildProcess.worker(database, pool: pool)
            defer { second.stopNow() }
            let job = try await pool.waitForJob(id, "to finish", timeout: .seconds(60)) { $0.state.isFinal }
            #expect(job.state == .completed, "errors: \(job.errors.map(\.error))")
            #expect(job.attempt == 2)
            #expect(job.errors.count == 1)
            #expect(job.errors.first?.attempt == 1)
            #expect(job.errors.first?.error.contains("rescued") == true)
            let finisher = try #require(job.workerID)
            #expect(try await pool.workerPID(id: finisher) == Int(second.pid))
        }
    }

    @Test func sigkilledWorkersLeasedJobIsFreeAtOnceAndItsAttemptCounted() async throws {
        try await TestDatabase.with { database, pool in
            // A lease window longer than the job: the job is never marked running.
            let first = try await ChildProcess.worker(database, pool: pool, ["WORKER_LEASE_WINDOW_MS": "60000", "WORKER_DEAD_AFTER_MS": "120000"])
            defer { first.stopNow() }
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 30000}"#, options: JobOptions(maxAttempts: 1))
            try await pool.waitUntilStarted(id)
            #expect(try await pool.job(id).state == .available)
            first.signal(SIGKILL)
            try await first.waitForExit(timeout: .seconds(120))
            // The row lock died with the worker's connection.
            try await eventually("the job to be unlocked", timeout: .seconds(120)) {
                try await pool.query("SELECT count(*) AS n FROM (SELECT id FROM jobs WHERE id = \(id) FOR UPDATE SKIP LOCKED) AS free")
                    .first!.decode("n", as: Int.self) == 1
            }
            // A worker of another queue rescues: the job killed its worker on its only attempt.
            let rescuer = try await ChildProcess.worker(database, pool: pool, ["WORKER_QUEUES": "other=1", "WORKER_DEAD_AFTER_MS": "1000", "WORKER_LEASE_WINDOW_MS": "500"])
            defer { rescuer.stopNow() }
            let job = try await pool.waitForJob(id, "to fail", timeout: .seconds(60)) { $0.state.isFinal }
            #expect(job.state == .failed)
            #expect(job.attempt == 1)
            #expect(job.errors.count == 1)
            #expect(job.errors.first?.error.contains("exited") == true, "errors: \(job.errors.map(\.error))")
        }
    }

    @Test func sigtermReleasesAJobThatOutlivesTheShutdownTimeoutAndDeregisters() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool, ["WORKER_SHUTDOWN_TIMEOUT_MS": "500"])
            defer { worker.stopNow() }
            // A ten-minute job: a worker that waited for it instead of its 500 ms shutdown
            // time-out would still be running when the generous wait below gives up.
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 600000}"#)
            let running = try await pool.waitForJob(id, "to run") { $0.state == .running }
            worker.signal(SIGTERM)
            let status = try await worker.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "stderr: \(worker.errorOutput)")
            #expect(worker.process.terminationReason == .exit)

            let job = try await pool.job(id)
            #expect(job.state == .available)
            #expect(job.attempt == 1)
            #expect(job.maxAttempts == running.maxAttempts + 1)
            #expect(job.errors.isEmpty)
            #expect(job.finishedAt == nil)
            #expect(try await pool.workerIsRegistered(pid: worker.pid) == false)
        }
    }

    @Test func sigtermLetsAShortRunningJobFinish() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool, ["WORKER_SHUTDOWN_TIMEOUT_MS": "5000"])
            defer { worker.stopNow() }
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 1000}"#)
            try await pool.waitUntilStarted(id)
            worker.signal(SIGTERM)
            let status = try await worker.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "stderr: \(worker.errorOutput)")

            let job = try await pool.job(id)
            #expect(job.state == .completed)
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
        }
    }

    @Test func retriesEndInFinalFailureKeepingEveryAttemptsError() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool)
            defer { worker.stopNow() }
            let id = try await pool.enqueue(
                "diagnostic.sleep", args: #"{"milliseconds": 1, "failAttempts": 10}"#, options: JobOptions(maxAttempts: 3))
            var job = try await pool.job(id)
            try await eventually("job \(id) to fail for good") {
                job = try await pool.job(id)
                if job.state == .available && job.attempt > 0 {
                    // Skip the backoff: the retry is what this test is about, not its delay.
                    #expect(job.runAt > job.attemptedAt!, "a failed attempt is retried later, with backoff")
                    try await pool.makeDueNow(id)
                }
                return job.state.isFinal
            }
            #expect(job.state == .failed)
            #expect(job.attempt == 3)
            #expect(job.finishedAt != nil)
            #expect(job.errors.map(\.attempt) == [1, 2, 3])
            #expect(job.errors.map(\.error) == (1...3).map { "planned failure on attempt \($0)" })
        }
    }

    @Test func cancellingARunningJobThroughTheAdminCLIStopsItAtOnce() async throws {
        try await TestDatabase.with { database, pool in
            // Heartbeats (ten minutes) and the job (ten minutes) far longer than the wait
            // below: only the NOTIFY can stop it in time.
            let worker = try await ChildProcess.worker(database, pool: pool, [
                "WORKER_HEARTBEAT_INTERVAL_MS": "600000", "WORKER_DEAD_AFTER_MS": "1200000",
            ])
            defer { worker.stopNow() }
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 600000}"#)
            try await pool.waitForJob(id, "to run") { $0.state == .running }
            let cancel = try await ChildProcess.admin(database, "jobs", "cancel", String(id))
            #expect(cancel.status == 0, "stderr: \(cancel.error)")
            #expect(cancel.output.contains("running"))

            let job = try await pool.waitForJob(id, "to be cancelled", timeout: .seconds(120)) { $0.state.isFinal }
            #expect(job.state == .cancelled)
            #expect(job.cancelRequestedAt != nil)
            #expect(job.errors.count == 1)
            #expect(job.errors.first?.error.contains("cancel") == true)
        }
    }

    @Test func cancellingALeasedJobThroughTheAdminCLIStopsItAtOnce() async throws {
        try await TestDatabase.with { database, pool in
            // The job stays in its lease (never marked running) for as long as it runs.
            // A ten-minute job in a minute-long lease (the longest allowed): only the NOTIFY
            // can stop it within the wait below.
            let worker = try await ChildProcess.worker(database, pool: pool, [
                "WORKER_LEASE_WINDOW_MS": "60000", "WORKER_DEAD_AFTER_MS": "1200000", "WORKER_HEARTBEAT_INTERVAL_MS": "600000",
            ])
            defer { worker.stopNow() }
            let id = try await pool.enqueue("diagnostic.sleep", args: #"{"milliseconds": 600000}"#)
            try await pool.waitUntilStarted(id)
            let cancel = try await ChildProcess.admin(database, "jobs", "cancel", String(id))
            #expect(cancel.status == 0, "stderr: \(cancel.error)")
            #expect(cancel.output.contains("running"), "output: \(cancel.output)")
            let job = try await pool.waitForJob(id, "to be cancelled", timeout: .seconds(120)) { $0.state.isFinal }
            #expect(job.state == .cancelled)
            #expect(job.attempt == 1)
            // Cancelled inside its lease: never marked running, which is what sets a heartbeat
            // (a cancel that waited for the lease to close would have found it running).
            let heartbeat = try await pool.query("SELECT heartbeat_at IS NULL AS never FROM jobs WHERE id = \(id)").first!.decode("never", as: Bool.self)
            #expect(heartbeat, "the job left its lease before it was cancelled")
            #expect(job.errors.first?.error.contains("cancel") == true)
        }
    }

    @Test func aLeaseWindowNotShorterThanDeadAfterIsRefusedAtStart() async throws {
        try await TestDatabase.with { database, _ in
            for (window, deadAfter) in [("1500", "1500"), ("30000", "20000"), ("70000", "120000")] {
                let result = try await ChildProcess.run("context0-worker", [], environment: [
                    "DATABASE_URL": database.url, "WORKER_LEASE_WINDOW_MS": window, "WORKER_DEAD_AFTER_MS": deadAfter,
                ])
                #expect(result.status != 0)
                #expect(result.error.contains("WORKER_LEASE_WINDOW_MS"), "stderr: \(result.error)")
            }
        }
    }

    @Test func unknownKindFailsTheAttemptSayingSo() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool)
            defer { worker.stopNow() }
            let id = try await pool.enqueue("diagnostic.no-such-kind", options: JobOptions(maxAttempts: 1))
            let job = try await pool.waitForJob(id, "to finish") { $0.state.isFinal }
            #expect(job.state == .failed)
            #expect(job.errors.count == 1)
            #expect(job.errors.first?.error.contains("unknown job kind") == true)
        }
    }

    @Test func pausedQueueKeepsItsJobsUntilResumed() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool, ["WORKER_QUEUES": "default=4,other=1"])
            defer { worker.stopNow() }
            let pause = try await ChildProcess.admin(database, "queues", "pause", "default")
            #expect(pause.status == 0, "stderr: \(pause.error)")
            let paused = try await pool.enqueue("diagnostic.noop")
            // The worker got both wake-ups; the job of the other queue shows it acted on them.
            let witness = try await pool.enqueue("diagnostic.noop", options: JobOptions(queue: "other"))
            try await pool.waitForJob(witness, "of the unpaused queue to complete") { $0.state == .completed }
            // The one bounded wait: 1.5 poll intervals, in which a poll would have claimed it.
            try await Task.sleep(for: .milliseconds(300))
            let waiting = try await pool.job(paused)
            #expect(waiting.state == .available)
            #expect(waiting.attempt == 0)

            let resume = try await ChildProcess.admin(database, "queues", "resume", "default")
            #expect(resume.status == 0, "stderr: \(resume.error)")
            try await pool.waitForJob(paused, "to complete after the resume", timeout: .seconds(120)) { $0.state == .completed }
        }
    }

    @Test func notifyWakesAnIdleWorkerWithinMilliseconds() async throws {
        try await TestDatabase.with { database, pool in
            // Polling once a minute: only the NOTIFY can explain a quick pickup.
            let worker = try await ChildProcess.worker(database, pool: pool, ["WORKER_POLL_INTERVAL_MS": "60000"])
            defer { worker.stopNow() }
            for _ in 0..<20 {
                let id = try await pool.enqueue("diagnostic.noop")
                try await pool.waitForJob(id, "to complete", timeout: .seconds(120)) { $0.state == .completed }
            }
            let latencies = try await pool.query("""
                SELECT (extract(epoch FROM attempted_at - created_at) * 1000)::float8 AS ms
                FROM jobs WHERE kind = 'diagnostic.noop' ORDER BY ms
                """).rows.map { try $0.decode("ms", as: Double.self) }
            #expect(latencies.count == 20)
            let p99 = latencies[Int((Double(latencies.count) * 0.99).rounded(.up)) - 1]
            #expect(p99 < 200, "pickup latencies in ms: \(latencies)")
        }
    }
}
