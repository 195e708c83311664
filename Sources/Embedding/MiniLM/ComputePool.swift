import Foundation
import Synchronization

/// A fixed set of dedicated threads for the forward pass, each with its own `BertWorkspace`.
///
/// Model work is CPU-bound for milliseconds to seconds, so it runs here rather than on Swift's
/// cooperative pool, whose few threads must stay free for I/O; callers just `await` the result.
/// With one thread per core and single-threaded BLAS calls, concurrent requests are spread over
/// the cores without oversubscribing them. A search query's pass waits in a lane of its own,
/// served before bulk work, and one more thread serves only that lane: a query starts at once
/// even while every model thread is busy with a batch (sharing the cores with them, as any
/// request would), and its pass is shared with the model threads as they come free.
final class ComputePool: Sendable {
    typealias Job = @Sendable (BertWorkspace) -> Void

    /// Model threads; a query is shared by at most this many threads at once.
    let threadCount: Int
    /// Chunks of shared passes run by threads other than the pass's leader.
    let chunksRunByHelpers = Atomic<Int>(0)
    private let queue = LaneQueue<Job>()

    /// Starts `threadCount` model threads and the query thread; each makes its workspace once,
    /// on first start (`makeWorkspace(true)` for the query thread, which runs single texts only).
    init(threadCount: Int, name: String, makeWorkspace: @escaping @Sendable (_ queriesOnly: Bool) -> BertWorkspace) {
        self.threadCount = max(1, threadCount)
        let queue = self.queue
        for index in 0...self.threadCount {
            let queriesOnly = index == self.threadCount
            let thread = Thread {
                let workspace = makeWorkspace(queriesOnly)
                while let job = queue.next(queriesOnly: queriesOnly) { job(workspace) }
            }
            thread.name = queriesOnly ? "\(name)-query" : "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        queue.close()
    }

    /// Runs `body` on one of the pool's threads, after the jobs before it in `lane` (and, for
    /// `.bulk`, after every waiting `.query` job), and returns its result. A task cancelled
    /// before its job starts gets `CancellationError` and the job is skipped.
    func run<T: Sendable>(lane: ComputeLane = .bulk, _ body: @escaping @Sendable (BertWorkspace) throws -> T) async throws -> T {
        try await submit(lane: lane, body)
    }

    /// Runs `body` in the query lane like `run`, and invites the pool's other threads to share
    /// its pass: each takes a helper job after it (so it joins once free, or finds the pass
    /// over) that runs the pass's chunks until `body` returns.
    func runShared<T: Sendable>(_ body: @escaping @Sendable (BertWorkspace, SharedPass) throws -> T) async throws -> T {
        let pass = SharedPass()
        let helping: Job = { [self] workspace in
            chunksRunByHelpers.add(pass.help(scratch: workspace), ordering: .relaxed)
        }
        return try await submit(lane: .query, helpers: threadCount - 1, helping: helping, whenDone: pass.finish) {
            try body($0, pass)
        }
    }

    /// Enqueues `body` in `lane`, then `helpers` jobs running `helping`; `whenDone` runs after
    /// `body` on its thread, or in its place when the task was cancelled before it started.
    private func submit<T: Sendable>(
        lane: ComputeLane, helpers: Int = 0, helping: @escaping Job = { _ in }, whenDone: @escaping @Sendable () -> Void = {},
        _ body: @escaping @Sendable (BertWorkspace) throws -> T
    ) async throws -> T {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.enqueue({ workspace in
                    defer { whenDone() }
                    if cancellation.isSet {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: Result { try body(workspace) })
                    }
                }, lane: lane)
                for _ in 0..<helpers { queue.enqueue(helping, lane: lane) }
            }
        } onCancel: {
            cancellation.set()
        }
    }
}

/// Which queue a forward pass waits in.
@_spi(Testing)
public enum ComputeLane: Sendable {
    /// One text, a search query or question someone is waiting on: served first.
    case query
    /// Batches: documents, memories, the sentences of an offline answer.
    case bulk
}

/// A FIFO per lane; `next` takes from the query lane while it has anything, and waiting
/// threads sleep on a condition. Queries are short, single texts under each caller's rate
/// limit, so they cannot keep bulk work waiting for long.
@_spi(Testing)
public final class LaneQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queries = Fifo<Element>()
    private var bulk = Fifo<Element>()
    private var closed = false

    public init() {}

    public func enqueue(_ element: Element, lane: ComputeLane) {
        condition.withLock {
            switch lane {
            case .query: queries.push(element)
            case .bulk: bulk.push(element)
            }
            // Waiters differ (some take queries only), so wake them all; there are few.
            condition.broadcast()
        }
    }

    /// The next element (of the query lane only, with `queriesOnly`), blocking until there is
    /// one; nil once the queue is closed and has none left for the caller.
    public func next(queriesOnly: Bool = false) -> Element? {
        condition.withLock {
            while true {
                if let element = queries.pop() { return element }
                if !queriesOnly, let element = bulk.pop() { return element }
                if closed { return nil }
                condition.wait()
            }
        }
    }

    /// Lets every waiting thread see the end of the queue after the remaining elements.
    public func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }
}

/// First in, first out, without moving the elements left at each removal.
private struct Fifo<Element> {
    private var elements: [Element] = []
    private var head = 0

    mutating func push(_ element: Element) {
        elements.append(element)
    }

    mutating func pop() -> Element? {
        guard head < elements.count else { return nil }
        let element = elements[head]
        head += 1
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }
}

private final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
