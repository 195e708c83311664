import Foundation
import Jobs
import Logging
import Postgres
import TestSupport
import Testing

struct QuickJob: JobArguments {
    static let kind = "test.quick"
}

/// Runs until the database shows it running (its lease closed and marked it so), at most a minute.
struct MediumJob: JobArguments {
    static let kind = "test.medium"
}

/// Holds its slot until a quick job has completed beside it (at most two minutes, then it fails).
struct LongJob: JobArguments {
    static let kind = "test.long"
    static var defaults: JobOptions { JobOptions(maxAttempts: 1, timeout: .seconds(300)) }
}

/// Sleeps ten minutes under a one-second time-out.
struct SlowJob: JobArguments {
    static let kind = "test.slow"
    static var defaults: JobOptions { JobOptions(maxAttempts: 1, timeout: .seconds(1)) }
}

/// A `JobProcessor` running inside the test process, against a real database.
@Suite struct JobProcessorTests {
    func registry(_ pool: PostgresPool) -> JobRegistry {
        var registry = JobRegistry()
        try! registry.register(QuickJob.self) { _, _ in .completed }
        try! registry.register(MediumJob.self) { _, context in
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let id = context.job.id
                let state = try await pool.withConnection { try JobQueue().find(id: id, on: $0) }?.state
                if state == .running { return .completed }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw JobError.permanent("never marked running")
        }
        try! registry.register(LongJob.self) { _, _ in
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                let quickDone = try await pool.query("SELECT count(*) AS n FROM jobs WHERE kind = \(QuickJob.kind) AND state = 'completed'")
                    .first!.decode("n", as: Int.self) > 0
                if quickDone { return .completed }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw JobError.permanent("no quick job completed while this one held its slot")
        }
        try! registry.register(SlowJob.self) { _, _ in
            try await Task.sleep(for: .seconds(600))
            return .completed
        }
        return registry
    }

    func withProcessor(
        _ database: TestDatabase, _ pool: PostgresPool, queue: JobQueue = JobQueue(),
        configure: (inout JobProcessorConfiguration) -> Void = { _ in },
        _ body: () async throws -> Void
    ) async throws {
        var configuration = JobProcessorConfiguration(queues: ["default": 10])
        configuration.pollInterval = .seconds(60)
        // These tests are not about rescue: with the whole suite running in parallel on two
        // cores, this process's heartbeats can fall seconds behind.
        configuration.deadAfter = .seconds(120)
        configure(&configuration)
        let bookkeeping = PostgresPool(configuration: .init(url: database.url, maxConnections: 2, applicationName: "context0-test-bookkeeping"))
        let processor = JobProcessor(
            queue: queue, pool: pool, bookkeeping: bookkeeping, databaseURL: database.url, registry: registry(pool),
            configuration: configuration, logger: Logger(label: "test"))
        let running = Task { try await processor.run() }
        do {
            try await eventually("the processor to listen") {
                try await pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'context0-listener' AND datname = \(database.name)")
                    .first!.decode("n", as: Int.self) > 0
            }
            try await body()
        } catch {
            processor.stop()
            _ = try? await running.value
            await bookkeeping.close()
            throw error
        }
        processor.stop()
        try await running.value
        await bookkeeping.close()
    }

    @Test func throttledWakeUpsStillWakeIdleWorkersPromptly() async throws {
        try await TestDatabase.with(poolSize: 12) { database, pool in
            // A window wide enough that forty enqueues share a few of them however slowly a
            // busy machine runs them, and still a blink next to the ten-minute poll.
            let throttle = WakeupThrottle(window: .milliseconds(500), pool: pool, logger: Logger(label: "test"))
            let throttled = JobQueue(wakeupThrottle: throttle)
            let flusher = Task { try await throttle.run() }
            defer { flusher.cancel() }
            let listener = try await PostgresConnection.open(url: database.url)
            try await runBlocking { try listener.listen(JobQueue.wakeupChannel) }
            try await withProcessor(database, pool, configure: { $0.pollInterval = .seconds(600) }) {
                let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<40 {
                        group.addTask { try await throttled.enqueue(NewJob(QuickJob()), pool: pool).id }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                // The poll interval is ten minutes: only wake-ups can get these done in two.
                try await eventually("every job to complete", timeout: .seconds(120)) {
                    try await pool.query("SELECT count(*) AS n FROM jobs WHERE state = 'completed' AND id = ANY(\(ids))")
                        .first!.decode("n", as: Int.self) == ids.count
                }
            }
            var notifications = 0
            while case let batch = try await runBlocking({ try listener.waitForNotifications(timeout: .milliseconds(100)) }), !batch.isEmpty {
                notifications += batch.filter { $0.payload == "default" }.count
            }
            #expect(notifications < 40, "the throttle should have merged wake-ups, got \(notifications)")
        }
    }

    @Test func anAttemptThatOutlivesItsTimeoutFails() async throws {
        try await TestDatabase.with { database, pool in
            try await withProcessor(database, pool) {
                let id = try await JobQueue().enqueue(NewJob(SlowJob()), pool: pool).id
                // The job would sleep ten minutes: only its one-second time-out ends it in two.
                try await eventually("the job to end", timeout: .seconds(120)) {
                    try await pool.withConnection { try JobQueue().find(id: id, on: $0) }?.state.isFinal == true
                }
                let record = try await pool.withConnection { try JobQueue().find(id: id, on: $0) }!
                #expect(record.state == .failed)
                #expect(record.errors.first?.error.contains("timed out") == true, "errors: \(record.errors)")
            }
        }
    }

    @Test func aJobOutlivingItsLeaseWindowIsMarkedRunningThenCompletedOnce() async throws {
        try await TestDatabase.with { database, pool in
            try await withProcessor(database, pool, configure: { $0.leaseWindow = .milliseconds(200) }) {
                let quick = try await JobQueue().enqueue(NewJob(QuickJob()), pool: pool).id
                let medium = try await JobQueue().enqueue(NewJob(MediumJob()), pool: pool).id
                // The medium job completes only once it has been seen running.
                try await eventually("both jobs to complete", timeout: .seconds(60)) {
                    try await pool.query("SELECT count(*) AS n FROM jobs WHERE state = 'completed' AND id = ANY(\([quick, medium]))")
                        .first!.decode("n", as: Int.self) == 2
                }
                for id in [quick, medium] {
                    let record = try #require(try await pool.withConnection { try JobQueue().find(id: id, on: $0) })
                    #expect(record.attempt == 1 && record.errors.isEmpty && record.attemptedAt != nil)
                }
            }
        }
    }

    @Test func withoutLeasesClaimsMarkJobsRunningAtOnce() async throws {
        try await TestDatabase.with { database, pool in
            try await withProcessor(database, pool, configure: { $0.leaseWindow = .zero }) {
                let id = try await JobQueue().enqueue(NewJob(QuickJob()), pool: pool).id
                try await eventually("the job to complete", timeout: .seconds(120)) {
                    try await pool.withConnection { try JobQueue().find(id: id, on: $0) }?.state == .completed
                }
                // Marking a job running is what sets its heartbeat; a lease would have written it once.
                let row = try await pool.query("SELECT attempt, heartbeat_at IS NOT NULL AS marked FROM jobs WHERE id = \(id)").first!
                #expect(try row.decode("attempt", as: Int.self) == 1)
                #expect(try row.decode("marked", as: Bool.self))
            }
        }
    }

    @Test func aFreeSlotIsClaimedSoonWhileOtherSlotsStillRun() async throws {
        try await TestDatabase.with { database, pool in
            try await withProcessor(database, pool, configure: { $0.shutdownTimeout = .milliseconds(200) }) {
                let long = try await JobQueue().enqueue(NewJob(LongJob()), pool: pool).id
                try await eventually("the long job to start", timeout: .seconds(120)) {
                    try await pool.query("""
                        SELECT EXISTS (SELECT 1 FROM job_leases WHERE \(long) = ANY(job_ids))
                            OR EXISTS (SELECT 1 FROM jobs WHERE id = \(long) AND state = 'running') AS started
                        """).first!.decode("started", as: Bool.self)
                }
                // Claims wait for every slot to be free only for `claimLinger` (5 ms): the quick
                // job runs while the long one holds its slot, and only then does the long one end.
                let quick = try await JobQueue().enqueue(NewJob(QuickJob()), pool: pool).id
                try await eventually("both jobs to end", timeout: .seconds(180)) {
                    try await pool.query("SELECT count(*) AS n FROM jobs WHERE id = ANY(\([long, quick])) AND state IN ('completed', 'failed', 'cancelled')")
                        .first!.decode("n", as: Int.self) == 2
                }
                let longJob = try #require(try await pool.withConnection { try JobQueue().find(id: long, on: $0) })
                #expect(longJob.state == .completed, "a free slot waited for the long job: \(longJob.errors.map(\.error))")
            }
        }
    }
}
