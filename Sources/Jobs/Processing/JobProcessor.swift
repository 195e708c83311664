import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// What the parts of one worker process share.
final class ProcessorContext: Sendable {
    let queue: JobQueue
    let pool: PostgresPool
    let registry: JobRegistry
    let configuration: JobProcessorConfiguration
    let workerID: UUID
    let logger: Logger
    let running = RunningJobs()
    /// Connections of their own for lease records and heartbeats: a claim holds its lease's
    /// connection while it records (taking the record's from the same pool could deadlock),
    /// and a heartbeat must not wait behind jobs and leases (a late one gets the worker
    /// declared dead).
    let bookkeeping: PostgresPool
    private let stopping = Atomic<Bool>(false)
    private let completerBox = Mutex<JobCompleter?>(nil)

    init(
        queue: JobQueue, pool: PostgresPool, bookkeeping: PostgresPool, registry: JobRegistry,
        configuration: JobProcessorConfiguration, workerID: UUID, logger: Logger
    ) {
        self.queue = queue
        self.pool = pool
        self.bookkeeping = bookkeeping
        self.registry = registry
        self.configuration = configuration
        self.workerID = workerID
        self.logger = logger
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    func beginStopping() { stopping.store(true, ordering: .relaxed) }

    var completer: JobCompleter { completerBox.withLock { $0! } }
    func setCompleter(_ completer: JobCompleter) { completerBox.withLock { $0 = completer } }
}

/// A worker process's job runner, as a `Service`: registers the worker, listens for
/// wake-ups, runs each configured queue with its concurrency and heartbeats. Graceful
/// shutdown stops claiming, lets running jobs finish until the deadline, gives back the
/// rest, writes every result and deregisters.
///
/// The listener and the heartbeat are parts of it, not services of their own: the
/// listener's notifications drive its queue runners, and the heartbeat must beat until the
/// last result is written and then stop before the worker deregisters (a later beat would
/// register it again). The rescuer and the periodic enqueuer are services beside it
/// (`JobRescuer`, `PeriodicJobEnqueuer`).
public final class JobProcessor: Service, Sendable {
    private let context: ProcessorContext
    private let databaseURL: String
    private let runners: [String: QueueRunner]
    /// One stop signal per background loop: a `WakeSignal` wakes a single waiter.
    private let heartbeatStop = WakeSignal()
    private let deadlineStop = WakeSignal()

    /// `pool` serves the jobs' claims and results; `bookkeeping` (two connections, its own)
    /// serves lease records and heartbeats: a claim holds its lease's connection while it
    /// records, and a heartbeat must not wait behind jobs. The caller runs and closes both.
    public init(
        queue: JobQueue, pool: PostgresPool, bookkeeping: PostgresPool, databaseURL: String, registry: JobRegistry,
        configuration: JobProcessorConfiguration, workerID: UUID = UUID(), logger: Logger
    ) {
        let context = ProcessorContext(
            queue: queue, pool: pool, bookkeeping: bookkeeping, registry: registry, configuration: configuration,
            workerID: workerID, logger: logger.with(["worker_id": "\(workerID)"]))
        self.context = context
        self.databaseURL = databaseURL
        runners = Dictionary(uniqueKeysWithValues: configuration.queues.map { name, concurrency in
            (name, QueueRunner(name: name, concurrency: concurrency, context: context))
        })
        context.setCompleter(JobCompleter(queue: queue, pool: pool, logger: context.logger) { [runners] in
            runners.values.forEach { $0.poke() }
        })
    }

    public var workerID: UUID { context.workerID }

    public func run() async throws {
        try await register()
        context.logger.info("worker started", metadata: ["queues": "\(context.configuration.queues)"])
        let listener = PostgresListener(
            url: databaseURL, channels: [JobQueue.wakeupChannel, JobQueue.controlChannel], logger: context.logger,
            onConnect: { [runners] in runners.values.forEach { $0.notify() } },
            onNotification: { [self] in handle($0) })
        await withDiscardingTaskGroup { group in
            group.addTask { try? await listener.run() }
            group.addTask { await self.context.completer.run(deadline: self.context.configuration.shutdownTimeout) }
            group.addTask { await WorkerHeartbeat(context: self.context, runners: self.runners).run(until: self.heartbeatStop) }
            group.addTask { await self.watchDeadlines() }
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { queues in
                    for runner in runners.values { queues.addTask { await runner.run() } }
                }
            } onGracefulShutdown: { self.stop() }
            context.completer.stop()
            listener.stop()
            heartbeatStop.signal()
            deadlineStop.signal()
        }
        try? await context.pool.withConnection { [context] in try context.queue.deregisterWorker(id: context.workerID, on: $0) }
        context.logger.info("worker stopped")
    }

    /// Begins a graceful stop (also triggered by the service group).
    public func stop() {
        context.beginStopping()
        runners.values.forEach { $0.poke() }
    }

    /// Fails attempts that outlive their timeout, checked four times a second.
    private func watchDeadlines() async {
        while !(await deadlineStop.wait(timeout: .milliseconds(250))) {
            context.running.stopExpired()
        }
    }

    private func register() async throws {
        var failures = 0
        while true {
            do {
                return try await context.pool.withConnection { [context] in
                    try context.queue.registerWorker(id: context.workerID, queues: context.configuration.queues, on: $0)
                }
            } catch {
                failures += 1
                if failures >= 30 || Task.isCancelled { throw error }
                context.logger.warning("cannot register the worker yet", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func handle(_ notification: PostgresNotification) {
        switch notification.channel {
        case JobQueue.wakeupChannel:
            runners[notification.payload]?.notify()
        case JobQueue.controlChannel:
            if notification.payload.hasPrefix("cancel:"), let id = Int(notification.payload.dropFirst(7)) {
                context.running.stop(id: id, .outcome(.cancelled(reason: "cancellation was requested")))
            }
        default:
            break
        }
    }
}
