import Foundation

/// A fixed set of dedicated threads for the forward pass, each with its own `BertWorkspace`.
///
/// Model work is CPU-bound for milliseconds to seconds, so it runs here rather than on Swift's
/// cooperative pool, whose few threads must stay free for I/O; callers just `await` the result.
/// With one thread per core and single-threaded BLAS calls, concurrent requests are spread over
/// the cores without oversubscribing them. A search query's pass waits in a lane of its own,
/// served before bulk work, so a request that embeds many texts cannot put every query behind it.
final class ComputePool: Sendable {
    typealias Job = @Sendable (BertWorkspace) -> Void

    let threadCount: Int
    private let queue = LaneQueue<Job>()

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

    /// Runs `body` on one of the pool's threads, after the jobs before it in `lane` (and, for
    /// `.bulk`, after every waiting `.query` job), and returns its result. A task cancelled
    /// before its job starts gets `CancellationError` and the job is skipped.
    func run<T: Sendable>(lane: ComputeLane = .bulk, _ body: @escaping @Sendable (BertWorkspace) throws -> T) async throws -> T {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.enqueue({ workspace in
                    if cancellation.isSet {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: Result { try body(workspace) })
                    }
                }, lane: lane)
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

/// A FIFO per lane that blocks idle threads on a semaphore; `next` takes from the query
/// lane while it has anything. Queries are short, single texts under each caller's rate
/// limit, so they cannot keep bulk work waiting for long.
@_spi(Testing)
public final class LaneQueue<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private let available = DispatchSemaphore(value: 0)
    private var queries = Fifo<Element>()
    private var bulk = Fifo<Element>()

    public init() {}

    public func enqueue(_ element: Element, lane: ComputeLane) {
        lock.withLock {
            switch lane {
            case .query: queries.push(element)
            case .bulk: bulk.push(element)
            }
        }
        available.signal()
    }

    /// The next element, blocking until there is one; nil once the queue is closed and drained.
    public func next() -> Element? {
        available.wait()
        return lock.withLock { queries.pop() ?? bulk.pop() }
    }

    /// Lets `threads` blocked threads see the end of the queue after the remaining elements.
    public func close(waking threads: Int) {
        for _ in 0..<threads { available.signal() }
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
