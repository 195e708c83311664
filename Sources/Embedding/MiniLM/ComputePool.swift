import Foundation

/// A fixed set of dedicated threads for the forward pass, each with its own `BertWorkspace`.
///
/// Model work is CPU-bound for milliseconds to seconds, so it runs here rather than on Swift's
/// cooperative pool, whose few threads must stay free for I/O; callers just `await` the result.
/// With one thread per core and single-threaded BLAS calls, concurrent requests are spread over
/// the cores without oversubscribing them.
final class ComputePool: Sendable {
    typealias Job = @Sendable (BertWorkspace) -> Void

    let threadCount: Int
    private let queue = JobQueue()

    /// Starts `threadCount` threads; each makes its workspace once, on first start.
    init(threadCount: Int, name: String, makeWorkspace: @escaping @Sendable () -> BertWorkspace) {
        self.threadCount = max(1, threadCount)
        for index in 0..<self.threadCount {
            let queue = self.queue
            let thread = Thread {
                let workspace = makeWorkspace()
                while let job = queue.next() { job(workspace) }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        queue.close(waking: threadCount)
    }

    /// Runs `body` on one of the pool's threads and returns its result. A task cancelled
    /// before its job starts gets `CancellationError` and the job is skipped.
    func run<T: Sendable>(_ body: @escaping @Sendable (BertWorkspace) throws -> T) async throws -> T {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.enqueue { workspace in
                    if cancellation.isSet {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: Result { try body(workspace) })
                    }
                }
            }
        } onCancel: {
            cancellation.set()
        }
    }
}

/// A FIFO of jobs that blocks idle threads on a semaphore.
private final class JobQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let available = DispatchSemaphore(value: 0)
    private var jobs: [ComputePool.Job] = []
    private var head = 0

    func enqueue(_ job: @escaping ComputePool.Job) {
        lock.withLock { jobs.append(job) }
        available.signal()
    }

    /// The next job, blocking until there is one; nil once the queue is closed and drained.
    func next() -> ComputePool.Job? {
        available.wait()
        return lock.withLock {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return job
        }
    }

    /// Lets `threads` blocked threads see the end of the queue after the remaining jobs.
    func close(waking threads: Int) {
        for _ in 0..<threads { available.signal() }
    }
}

private final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
