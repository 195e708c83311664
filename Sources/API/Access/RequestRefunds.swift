import Core
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Takes back the count of requests the server failed: admission counts a request (rate
/// limit and usage) before its work, and a request that then ends in a 5xx — the database
/// went away, a statement or lock time-out — was no use to its caller, so it is neither
/// billed nor held against the hourly limit. Refunds are written in the background, in
/// batches, and retried until the database takes them (during an outage too); at most
/// `capacity` wait, and those still waiting when the process ends are lost (a crash loses
/// them as it loses the request).
final class RequestRefunds: Service, Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    private let capacity: Int
    private let interval: Duration
    private let pending = Mutex<[UsageRefund]>([])

    init(pool: PostgresPool, logger: Logger, capacity: Int = 10_000, interval: Duration = .milliseconds(200)) {
        self.pool = pool
        self.logger = logger
        self.capacity = capacity
        self.interval = interval
    }

    /// Refunds one request of `kind` counted in the hour that ends at `windowEnd`.
    func refund(userID: String, kind: RateLimitClass, windowEnd: Date) {
        let refund = UsageRefund(userID: userID, metric: kind.requestsMetric, hour: windowEnd.addingTimeInterval(-3600))
        let kept = pending.withLock { pending in
            guard pending.count < capacity else { return false }
            pending.append(refund)
            return true
        }
        if !kept { logger.warning("request refund dropped: too many waiting", metadata: ["user_id": "\(userID)"]) }
    }

    /// Writes waiting refunds until graceful shutdown, then once more.
    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await write()
        }
        await write()
    }

    private func write() async {
        let batch = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await pool.withConnection { try UserStore().refund(batch, on: $0) }
        } catch {
            pending.withLock { $0 = Array((batch + $0).prefix(capacity)) }
            logger.debug("request refunds wait for the database", metadata: ["waiting": "\(batch.count)", "error": "\(error)"])
        }
    }
}
