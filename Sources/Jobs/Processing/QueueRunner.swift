import Foundation
import Logging
import Postgres
import Synchronization

/// Claims and runs the jobs of one queue, keeping at most `concurrency` in flight.
///
/// It claims while claims come back full and slots are free, then sleeps until a NOTIFY
/// for its queue, a freed slot, or the poll interval. On shutdown it stops claiming and
/// waits for its jobs up to the deadline, then gives the rest back to the queue.
final class QueueRunner: Sendable {
    let name: String
    let concurrency: Int
    private let context: ProcessorContext
    private let wake = WakeSignal()
    private let notified = Atomic<Bool>(true)

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
            await claimUntilStopped(group: &group)
            await drain()
        }
    }

    private func claimUntilStopped(group: inout DiscardingTaskGroup) async {
        let threshold = max(1, concurrency / 10)
        var failures = 0
        while !context.isStopping {
            let free = concurrency - context.running.count(queue: name)
            if free >= min(threshold, concurrency), notified.exchange(false, ordering: .relaxed) {
                let limit = min(free, context.configuration.maxClaimBatch)
                do {
                    let jobs = try await context.queue.claim(queue: name, limit: limit, workerID: context.workerID, pool: context.pool)
                    failures = 0
                    for job in jobs { start(job, in: &group) }
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
            if !(await wake.wait(timeout: context.configuration.pollInterval)) {
                notified.store(true, ordering: .relaxed)
            }
        }
    }

    private func start(_ job: ClaimedJob, in group: inout DiscardingTaskGroup) {
        let run = JobRun(job: job)
        context.running.insert(run)
        group.addTask { [context] in
            let end = await JobExecution(run: run, context: context).perform()
            context.running.remove(job.id)
            if case .outcome(let outcome) = end {
                context.completer.add(JobResult(job: job, outcome: outcome))
            }
            self.poke()
        }
    }

    private func drain() async {
        let deadline = ContinuousClock.now + context.configuration.shutdownTimeout
        while context.running.count(queue: name) > 0, ContinuousClock.now < deadline {
            await wake.wait(timeout: .milliseconds(100))
        }
        let left = context.running.count(queue: name)
        if left > 0 {
            context.logger.notice("releasing unfinished jobs at shutdown", metadata: ["queue": "\(name)", "jobs": "\(left)"])
            context.running.stopAll(queue: name, .outcome(.released))
        }
    }
}
