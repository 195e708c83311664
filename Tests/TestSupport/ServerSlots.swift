import Foundation

/// How many test servers (each with its own worker process and database) run at once.
///
/// Swift Testing runs every suite in parallel. Unbounded, the suites that start servers put
/// more worker processes, model loads and embedding work on a two-core machine than it
/// carries, and every test's waits stretch until they time out. Three at once keeps both
/// cores busy while the suites that need no server run beside them. `CONTEXT0_TEST_SERVERS`
/// changes the number (see Tests/README.md).
public actor ServerSlots {
    public static let shared = ServerSlots(
        limit: ProcessInfo.processInfo.environment["CONTEXT0_TEST_SERVERS"].flatMap(Int.init).map { max(1, $0) } ?? 3)

    private let limit: Int
    private var inUse = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Runs `body` once a slot is free, and frees it afterwards. Waiting suspends; it never
    /// blocks a thread.
    public func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        if inUse < limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            inUse -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
