import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// Claims take turns between owners (sql/0017): one owner's backlog does not delay another
/// owner's job by its whole length, and each owner's own jobs stay first in, first out.
@Suite struct FairClaimTests {
    let queue = JobQueue()

    func job(_ owner: String?, _ n: Int) -> NewJob {
        NewJob(kind: "test.kind", args: #"{"n": \#(n)}"#, options: JobOptions(ownerUserID: owner))
    }

    func claim(_ limit: Int, _ pool: PostgresPool) async throws -> [Int] {
        try await queue.claim(queue: "default", limit: limit, workerID: UUID(), pool: pool).map(\.id)
    }

    @Test func anotherOwnersJobIsClaimedNextNotAfterTheBacklog() async throws {
        try await TestDatabase.with { _, pool in
            let flood = try await queue.enqueue((0..<2000).map { job("flood", $0) }, pool: pool)
            #expect(try await claim(2, pool) == Array(flood.prefix(2)))
            let single = try await queue.enqueue(job("quiet", 0), pool: pool).id
            #expect(try await claim(2, pool) == [flood[2], single], "the quiet owner's job is next but one, not 1,998th")
            #expect(try await claim(5000, pool) == Array(flood.dropFirst(3)), "the flood's own order is unchanged")
        }
    }

    @Test func ownersTakeTurnsWithinOneEnqueueAndOwnerlessJobsJoinAtTheHead() async throws {
        try await TestDatabase.with { _, pool in
            let ids = try await queue.enqueue([job("a", 1), job("a", 2), job("a", 3), job("b", 1), job("b", 2), job("c", 1)], pool: pool)
            let (a1, a2, a3, b1, b2, c1) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5])
            let system = try await queue.enqueue(job(nil, 0), pool: pool).id
            #expect(try await claim(10, pool) == [a1, b1, c1, system, a2, b2, a3])
        }
    }

    @Test func aJobEnqueuedBySQLAloneIsTaggedToo() async throws {
        try await TestDatabase.with { _, pool in
            let flood = try await queue.enqueue((0..<50).map { job("flood", $0) }, pool: pool)
            let single = try await pool.query("""
                INSERT INTO jobs (kind, queue, args, owner_user_id) VALUES ('test.kind', 'default', '{}', 'quiet') RETURNING id
                """).first!.decode("id", as: Int.self)
            #expect(try await claim(2, pool) == [flood[0], single])
        }
    }
}
