import Foundation
import Postgres
import Synchronization

/// Whether the database answers, checked at most once a second however often it is asked,
/// and known at once to be unreachable while the pool fails fast after a connection failure.
final class DatabaseHealth: Sendable {
    private let pool: PostgresPool
    /// The pools requests use: any of them failing fast means the server was just found gone.
    private let pools: [PostgresPool]
    private let cache = Mutex<(checkedAt: ContinuousClock.Instant, reachable: Bool)?>(nil)

    init(pool: PostgresPool, alsoWatching others: [PostgresPool] = []) {
        self.pool = pool
        pools = [pool] + others
    }

    func isReachable() async -> Bool {
        // Requests found the server gone: no need to ask, and no cached "ok" from before.
        if pools.contains(where: \.isFailingFast) { return false }
        if let cached = cache.withLock({ $0 }), ContinuousClock.now - cached.checkedAt < .seconds(1) {
            return cached.reachable
        }
        let reachable: Bool
        do {
            try await pool.query("SELECT 1")
            reachable = true
        } catch let error as PostgresError where error.kind == .unavailable && !pool.isFailingFast {
            // Every connection busy past the acquire time-out: the database answers, just not
            // to one more caller now. Not a reason to take this process out of rotation.
            reachable = true
        } catch {
            reachable = false
        }
        cache.withLock { $0 = (ContinuousClock.now, reachable) }
        return reachable
    }
}
