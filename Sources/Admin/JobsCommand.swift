import ArgumentParser
import Foundation
import Jobs
import Postgres

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Inspect and steer jobs.",
        subcommands: [List.self, Show.self, Stats.self, Enqueue.self, Retry.self, Cancel.self, Prune.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only jobs in this state (repeatable): available, running, completed, failed, cancelled.")
        var state: [JobState] = []
        @Option(help: "Only jobs of this kind.") var kind: String?
        @Option(help: "Only jobs of this queue.") var queue: String?
        @Option(help: "At most this many jobs (1-10000).") var limit = 50

        func validate() throws {
            guard (1...10000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() throws {
            let jobs = try JobQueue().list(JobFilter(states: state, kind: kind, queue: queue, limit: limit), on: database.connect())
            if output.json { return try Output.json(jobs) }
            Output.table(["ID", "KIND", "QUEUE", "STATE", "ATTEMPT", "RUN AT", "FINISHED"], jobs.map {
                [String($0.id), $0.kind, $0.queue, $0.state.rawValue, "\($0.attempt)/\($0.maxAttempts)", Output.time($0.runAt), Output.time($0.finishedAt)]
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: arguments, every attempt's error, timings.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The job id.") var id: Int

        func run() throws {
            guard let job = try JobQueue().find(id: id, on: database.connect()) else { throw AdminError("no job \(id)") }
            if output.json { return try Output.json(job) }
            let fields: [(String, String)] = [
                ("id", String(job.id)), ("kind", job.kind), ("queue", job.queue), ("state", job.state.rawValue),
                ("priority", String(job.priority)), ("attempt", "\(job.attempt) of \(job.maxAttempts)"),
                ("args", job.args), ("unique key", job.uniqueKey ?? "-"), ("worker", job.workerID?.uuidString.lowercased() ?? "-"),
                ("created", Output.time(job.createdAt)), ("run at", Output.time(job.runAt)),
                ("attempted", Output.time(job.attemptedAt)), ("finished", Output.time(job.finishedAt)),
                ("cancel requested", Output.time(job.cancelRequestedAt)),
            ]
            fields.forEach { print($0.0.padding(toLength: 17, withPad: " ", startingAt: 0) + $0.1) }
            print("errors (\(job.errors.count)):")
            job.errors.forEach { print("  attempt \($0.attempt) at \($0.at): \($0.error)") }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts by queue, kind and state; oldest waiting job; recent throughput and latency.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Minutes of history for throughput and latency.") var minutes = 5

        func run() throws {
            guard minutes > 0 else { throw ValidationError("--minutes must be positive") }
            let stats = try JobQueue().stats(window: .seconds(minutes * 60), on: database.connect())
            if output.json { return try Output.json(stats) }
            Output.table(["QUEUE", "KIND", "STATE", "COUNT"], stats.counts.map { [$0.queue, $0.kind, $0.state.rawValue, String($0.count)] })
            print("")
            for health in stats.oldestWaiting {
                print("oldest waiting job in \(health.queue): \(String(format: "%.1f", health.oldestWaitingSeconds)) s")
            }
            func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "-" }
            print("last \(minutes) min: \(stats.completedInWindow) completed (\(String(format: "%.1f", stats.completedPerSecond))/s), \(stats.failedInWindow) failed")
            print("pickup latency p50 \(ms(stats.pickupLatencyP50Milliseconds)), p99 \(ms(stats.pickupLatencyP99Milliseconds)); run time p50 \(ms(stats.runTimeP50Milliseconds))")
        }
    }

    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue a job by kind (for operations and checks).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The job kind, e.g. diagnostic.noop.") var kind: String
        @Option(help: "Arguments as a JSON object.") var args = "{}"
        @Option(help: "Queue.") var queue: String?
        @Option(help: "Priority (lower runs first).") var priority: Int16?
        @Option(help: "Run after this delay, e.g. 30s, 5m.") var delay: String?
        @Option(help: "Attempts before the job fails for good.") var maxAttempts: Int?
        @Option(help: "At most one live job with this key.") var uniqueKey: String?

        func run() throws {
            guard (try? JSONSerialization.jsonObject(with: Data(args.utf8))) is [String: Any] else {
                throw ValidationError("--args must be a JSON object")
            }
            if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
            var runAt: Date?
            if let delay {
                guard let duration = Output.duration(delay) else { throw ValidationError("--delay must look like 30s, 5m, 2h") }
                runAt = Date().addingTimeInterval(duration.seconds)
            }
            let options = JobOptions(queue: queue, priority: priority, runAt: runAt, maxAttempts: maxAttempts, uniqueKey: uniqueKey)
            let connection = try database.connect()
            let result = try connection.transaction { try JobQueue().enqueue(NewJob(kind: kind, args: args, options: options), on: $0) }
            if output.json { return try Output.json(EnqueueReport(id: result.id, inserted: result.inserted)) }
            print(result.inserted ? "enqueued job \(result.id)" : "a live job with that unique key exists: \(result.id)")
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run failed or cancelled jobs again: one by id, or all failed jobs of a kind.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The job id.") var id: Int?
        @Option(help: "Retry every failed job of this kind.") var failedKind: String?

        func validate() throws {
            guard (id == nil) != (failedKind == nil) else { throw ValidationError("give either a job id or --failed-kind") }
        }

        func run() throws {
            let retried = try JobQueue().retry(id: id, failedOfKind: failedKind, on: database.connect())
            if let id, retried.isEmpty { throw AdminError("job \(id) does not exist or is not failed or cancelled") }
            if output.json { return try Output.json(["retried": retried]) }
            print("retried \(retried.count) job(s)")
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job (a running one is stopped by its worker).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The job id.") var id: Int

        func run() throws {
            guard let outcome = try JobQueue().cancel(id: id, on: database.connect()) else { throw AdminError("no job \(id)") }
            let (state, message): (JobState, String) = switch outcome {
            case .cancelled: (.cancelled, "job \(id) cancelled")
            case .stopping: (.running, "job \(id) is running: its worker was asked to stop it")
            case .alreadyFinished(let state): (state, "job \(id) is already \(state.rawValue): nothing to cancel")
            }
            if output.json { return try Output.json(CancelReport(id: id, state: state, changed: outcome != .alreadyFinished(state))) }
            print(message)
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete finished jobs older than a given age.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Age, e.g. 24h, 7d, 0s.") var olderThan = "24h"
        @Option(help: "Only these final states (repeatable; default all three).") var state: [JobState] = []

        func run() throws {
            guard let age = Output.duration(olderThan) else { throw ValidationError("--older-than must look like 90s, 15m, 24h, 7d") }
            if let bad = state.first(where: { !$0.isFinal }) { throw ValidationError("cannot prune \(bad.rawValue) jobs") }
            let deleted = try JobQueue().prune(olderThan: age, states: state.isEmpty ? [.completed, .failed, .cancelled] : state, on: database.connect())
            if output.json { return try Output.json(["deleted": deleted]) }
            print("deleted \(deleted) job(s)")
        }
    }
}

extension JobState: ExpressibleByArgument {}

/// `jobs enqueue --json`.
struct EnqueueReport: Encodable {
    let id: Int
    let inserted: Bool
}

/// `jobs cancel --json`.
struct CancelReport: Encodable {
    let id: Int
    let state: JobState
    let changed: Bool
}
