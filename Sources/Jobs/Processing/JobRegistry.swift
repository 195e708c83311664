import Foundation
import Logging
import Postgres

/// What a running job can see and do besides its arguments.
public struct JobContext: Sendable {
    public let job: ClaimedJob
    /// The worker's logger; `logger` adds the job's id, kind and attempt when a handler asks
    /// for it (most never log, and building the metadata costs more than a short job).
    let workerLogger: Logger
    public var logger: Logger {
        workerLogger.with(["job_id": "\(job.id)", "job_kind": "\(job.kind)", "attempt": "\(job.attempt)"])
    }
    /// Confirms the worker still owns the job; false means it was rescued, cancelled or
    /// finished elsewhere, and the handler should stop.
    public let heartbeat: @Sendable () async throws -> Bool
}

/// Runs the jobs of one kind: `Args` names the kind and carries its arguments (River's
/// `Worker[T]`). Returning `.completed` completes the job; throwing fails the attempt
/// (retried with backoff); `JobError.permanent` fails the job for good.
public protocol JobHandler: Sendable {
    associatedtype Args: JobArguments
    func run(_ args: Args, context: JobContext) async throws -> JobOutcome
}

/// The job kinds a worker runs, by name, each with typed arguments.
public struct JobRegistry: Sendable {
    typealias Handler = @Sendable (_ args: String, _ context: JobContext) async throws -> JobOutcome

    private var handlers: [String: Handler] = [:]
    private var timeouts: [String: Duration] = [:]

    public init() {}

    /// A second handler for a kind already registered: two job types with the same `kind`
    /// name, which would otherwise run each other's jobs.
    public struct DuplicateKind: Error, CustomStringConvertible {
        public let kind: String
        public var description: String { "job kind \(kind) is registered twice" }
    }

    /// Registers `handler` for its `Args.kind`. A kind registered before is refused.
    public mutating func register<Handler: JobHandler>(_ handler: Handler) throws(DuplicateKind) {
        try register(Handler.Args.self, run: handler.run)
    }

    /// Registers a closure as the handler of `Arguments.kind` (tests and one-line kinds).
    /// A kind registered before is refused.
    public mutating func register<Arguments: JobArguments>(
        _ type: Arguments.Type,
        run: @escaping @Sendable (Arguments, JobContext) async throws -> JobOutcome
    ) throws(DuplicateKind) {
        guard handlers[Arguments.kind] == nil else { throw DuplicateKind(kind: Arguments.kind) }
        let decoder = JSONDecoder()
        // Jobs without arguments all carry `{}`: decode it once.
        let noArguments = try? decoder.decode(Arguments.self, from: Data("{}".utf8))
        handlers[Arguments.kind] = { args, context in
            let arguments: Arguments
            do {
                if args == "{}", let noArguments {
                    arguments = noArguments
                } else {
                    arguments = try decoder.decode(Arguments.self, from: Data(args.utf8))
                }
            } catch {
                throw JobError.permanent("cannot decode the arguments of \(Arguments.kind): \(error)")
            }
            return try await run(arguments, context)
        }
        timeouts[Arguments.kind] = Arguments.defaults.timeout
    }

    /// The kinds registered, sorted.
    public var kinds: [String] { handlers.keys.sorted() }

    func handler(for kind: String) -> Handler? { handlers[kind] }

    func defaultTimeout(for kind: String) -> Duration? { timeouts[kind] ?? nil }
}
