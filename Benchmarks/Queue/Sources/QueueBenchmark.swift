import ArgumentParser
import BenchmarkSupport
import Foundation
import Jobs
import Postgres

/// `context0-bench-queue`: our half of `make bench-queue`, measured the way
/// `Benchmarks/Queue/peers.py` measures PgQueuer and Procrastinate.
///
/// - burn-down: N no-op jobs enqueued in bulk into a paused queue; P `context0-worker`
///   processes started and registered; the clock runs from resuming the queue until
///   every job is completed. jobs_per_s = N / elapsed.
/// - latency: with the workers idle, K jobs enqueued one at a time, 20 ms apart;
///   pickup latency = the job's `attempted_at - created_at`, both from the database clock.
@main
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context0-bench-queue")

    @Option(help: "Server URL; the benchmark creates and drops database bench_context0 there.") var databaseURL: String
    @Option(help: "Jobs to burn down.") var jobs = 100_000
    @Option(help: "Worker processes.") var workers = 2
    @Option(help: "Concurrency per worker process.") var concurrency = 500
    @Option(help: "Jobs for the idle pickup-latency measurement.") var latencySamples = 200
    @Option(help: "Folder holding context0-worker (default: next to this program).") var binDirectory: String?

    func run() async throws {
        let database = try BenchmarkDatabase(serverURL: databaseURL, name: "bench_context0")
        defer { try? database.drop() }
        let connection = try PostgresConnection(url: database.url)
        let queue = JobQueue()

        try connection.transaction { try queue.setPaused(true, queue: "default", on: $0) }
        let enqueueStart = ContinuousClock.now
        for start in stride(from: 0, to: jobs, by: 10_000) {
            let batch = (start..<min(start + 10_000, jobs)).map { _ in NewJob(kind: "diagnostic.noop") }
            try connection.transaction { _ = try queue.enqueue(batch, on: $0) }
        }
        let enqueueSeconds = (ContinuousClock.now - enqueueStart).seconds
        // As the peers' harness does: plan the burn-down on statistics that match the backlog.
        try connection.query("ANALYZE jobs")
        log("PHASE enqueue jobs=\(jobs) seconds=\(String(format: "%.2f", enqueueSeconds))")

        let processes = try startWorkers(url: database.url)
        defer { processes.forEach { $0.terminate() } }
        try await waitUntil("workers registered") { try count("SELECT count(*) FROM workers", connection) >= workers }

        let burnStart = ContinuousClock.now
        try connection.transaction { try queue.setPaused(false, queue: "default", on: $0) }
        try await waitForBurnDown(since: burnStart, connection: connection)
        let burnSeconds = (ContinuousClock.now - burnStart).seconds
        let completed = try count("SELECT count(*) FROM jobs WHERE state = 'completed' AND kind = 'diagnostic.noop'", connection)
        guard completed == jobs else { throw ValidationError("\(completed) of \(jobs) jobs completed") }
        let perSecond = Double(jobs) / burnSeconds
        log("PHASE burn-down jobs=\(jobs) seconds=\(String(format: "%.2f", burnSeconds))")

        let latencies = try await measureLatency(queue: queue, connection: connection)
        print(String(format: "RESULT bench=queue system=context0 jobs=%d jobs_per_s=%.1f p50_ms=%.2f p99_ms=%.2f",
                     jobs, perSecond, percentile(latencies, 0.50), percentile(latencies, 0.99)))
    }

    /// Polls the way `Benchmarks/Queue/peers.py` polls the peers: jobs left to do, less often while
    /// far from the end (an eighth of the estimated time left, 10–250 ms), without parallel
    /// workers, so that watching costs every system alike and little.
    private func waitForBurnDown(since start: ContinuousClock.Instant, connection: PostgresConnection) async throws {
        try connection.query("SET max_parallel_workers_per_gather = 0")
        let deadline = start + .seconds(900)
        while true {
            let left = try count("SELECT count(*) FROM jobs WHERE state IN ('available', 'running') AND kind = 'diagnostic.noop'", connection)
            if left == 0 { return }
            let now = ContinuousClock.now
            guard now < deadline else { throw ValidationError("timed out with \(left) jobs left") }
            let rate = Double(jobs - left) / max((now - start).seconds, 0.001)
            let eta = rate > 0 ? Double(left) / rate : 1
            try await Task.sleep(for: .seconds(min(0.25, max(0.01, eta / 8))))
        }
    }

    private func measureLatency(queue: JobQueue, connection: PostgresConnection) async throws -> [Double] {
        try connection.query("DELETE FROM jobs")
        try await Task.sleep(for: .seconds(1))
        var ids = [Int]()
        for _ in 0..<latencySamples {
            ids.append(try connection.transaction { try queue.enqueue(NewJob(kind: "diagnostic.noop", options: JobOptions(queue: "default")), on: $0) }.id)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await waitUntil("latency jobs completed") {
            try count("SELECT count(*) FROM jobs WHERE state = 'completed'", connection) >= latencySamples
        }
        return try connection.query("""
            SELECT (extract(epoch FROM attempted_at - created_at) * 1000)::float8 AS ms FROM jobs WHERE id = ANY(\(ids))
            """).rows.map { try $0.decode("ms", as: Double.self) }
    }

    private func startWorkers(url: String) throws -> [Process] {
        let folder = binDirectory.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return try (0..<workers).map { _ in
            let process = Process()
            process.executableURL = folder.appendingPathComponent("context0-worker")
            process.environment = ProcessInfo.processInfo.environment.merging([
                "DATABASE_URL": url, "WORKER_QUEUES": "default=\(concurrency)", "LOG_LEVEL": "warning",
            ]) { $1 }
            try process.run()
            return process
        }
    }

    private func count(_ sql: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query(PostgresQuery(unsafeSQL: sql)).first!.decode(at: 0)
    }

    private func waitUntil(_ what: String, poll: Duration = .milliseconds(50), timeout: Duration = .seconds(900), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out waiting for \(what)") }
            try await Task.sleep(for: poll)
        }
    }

    private func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
