import Foundation
import Postgres

/// The PostgreSQL job queue: every statement on the `jobs` table lives in this type and
/// its extensions (`+Enqueue`, `+Claim`, `+Finish`, `+Admin`, `+Queues`).
///
/// Methods taking a `PostgresConnection` run inside whatever transaction the caller has
/// open there, so a job is enqueued atomically with the data it concerns.
public struct JobQueue: Sendable {
    /// Defaults for jobs enqueued without their own queue, attempts or timeout, and the backoff
    /// between the attempts of a failing job.
    public struct Configuration: Sendable {
        public var defaultQueue: String
        public var defaultMaxAttempts: Int
        /// Used when neither the job nor its kind sets a timeout.
        public var defaultTimeout: Duration
        public var retryPolicy: RetryPolicy

        public init(
            defaultQueue: String = "default", defaultMaxAttempts: Int = 25,
            defaultTimeout: Duration = .seconds(1800), retryPolicy: RetryPolicy = RetryPolicy()
        ) {
            self.defaultQueue = defaultQueue
            self.defaultMaxAttempts = defaultMaxAttempts
            self.defaultTimeout = defaultTimeout
            self.retryPolicy = retryPolicy
        }
    }

    /// NOTIFY channel whose payload is the name of a queue that has new work.
    public static let wakeupChannel = "context0_jobs"
    /// NOTIFY channel for `cancel:<id>` and `pause:<queue>` messages to workers.
    public static let controlChannel = "context0_job_control"
    /// Longest error text kept per attempt.
    static let maxErrorLength = 4000

    public let configuration: Configuration
    /// Limits wake-ups under heavy enqueue; nil sends one with every enqueue.
    public let wakeupThrottle: WakeupThrottle?

    public init(configuration: Configuration = Configuration(), wakeupThrottle: WakeupThrottle? = nil) {
        self.configuration = configuration
        self.wakeupThrottle = wakeupThrottle
    }
}

/// A job to enqueue: its kind, JSON arguments and options.
public struct NewJob: Sendable, Equatable {
    public var kind: String
    public var args: String
    public var options: JobOptions

    public init(kind: String, args: String = "{}", options: JobOptions = JobOptions()) {
        self.kind = kind
        self.args = args
        self.options = options
    }

    /// A job of `Arguments.kind`, with that kind's defaults under `options`.
    public init<Arguments: JobArguments>(_ arguments: Arguments, options: JobOptions = JobOptions()) throws {
        self.init(
            kind: Arguments.kind,
            args: try PostgresJSON(encoding: arguments).text,
            options: Arguments.defaults.merged(with: options))
    }
}

/// What enqueueing one job did.
public struct EnqueueResult: Sendable, Equatable {
    public var id: Int
    /// False when a live job with the same unique key existed; `id` is then that job's.
    public var inserted: Bool
}
