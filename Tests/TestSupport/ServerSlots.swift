import Foundation

/// How many test servers with a worker process run at once.
///
/// Swift Testing runs every suite in parallel. Unbounded, the tests that start servers put a
/// dozen worker processes (each polling, heartbeating, loading and running its model) on a
/// two-core machine, and every test's waits stretch until they time out. Four at once keeps
/// both cores busy: the three suites that share one server for all their tests hold three,
/// the tests that need a server of their own take turns on the fourth, and tests without a
/// worker run beside them. `CONTEXT0_TEST_SERVERS` changes the number (see Tests/README.md).
public actor ServerSlots {
    public static let shared = ServerSlots(
        limit: ProcessInfo.processInfo.environment["CONTEXT0_TEST_SERVERS"].flatMap(Int.init).map { max(1, $0) } ?? 4)

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
