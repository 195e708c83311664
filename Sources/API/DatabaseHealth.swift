import Foundation
import Postgres
import Synchronization

/// Whether the database answers, checked at most once a second however often it is asked.
final class DatabaseHealth: Sendable {
    private let pool: PostgresPool
    private let cache = Mutex<(checkedAt: ContinuousClock.Instant, reachable: Bool)?>(nil)

    init(pool: PostgresPool) {
        self.pool = pool
    }

    func isReachable() async -> Bool {
        if let cached = cache.withLock({ $0 }), ContinuousClock.now - cached.checkedAt < .seconds(1) {
            return cached.reachable
        }
        let reachable = (try? await pool.query("SELECT 1")) != nil
        cache.withLock { $0 = (ContinuousClock.now, reachable) }
        return reachable
    }
}
