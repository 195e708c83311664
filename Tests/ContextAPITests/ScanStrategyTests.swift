import Core
import Embedding
import Foundation
import Jobs
import TestSupport
import Testing

/// Search scans a small tenant's own nodes and walks the shared indexes (HNSW, GIN) for a
/// large one (`ContextStore.ScanLimits`). Test tenants are always small, so here the limits
/// are set to 0 to drive the index branches over the same nodes: on a handful of nodes both
/// strategies are exact, and must return the same hits in the same order.
extension ContextAPI {
    @Suite struct ScanStrategies {
        @Test func theIndexesAndTheTenantScanFindTheSameHits() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            try await server.addIndexed(token: token, .json(["documents": [
                ["content": "Rotate the production API keys every ninety days."],
                ["content": "The cafeteria serves lunch at noon on weekdays."],
                ["content": "Back up the database every night and test a restore each month."],
                ["content": "New employees get their laptops on the first morning."],
            ], "source": "handbook"]))
            let scanning = ContextStore(queue: JobQueue())
            let indexed = ContextStore(queue: JobQueue(), scanLimits: .init(exactVectors: 0, text: 0))
            let embedder = try await SharedEmbedder.shared.embedder()
            for text in ["when do keys get rotated", "database backups and restores", "lunch"] {
                let query = ContextQuery(
                    caller: Tenant(userID: user, organizationID: nil), text: text, embedding: try await embedder.embed(text),
                    minimumSimilarity: 0, maximumSimilarity: 1, scope: .internal, metadata: nil, limit: 4)
                let scanned = try await server.pool.withConnection { try scanning.search(query, on: $0) }
                let walked = try await server.pool.withConnection { try indexed.search(query, on: $0) }
                #expect(!scanned.isEmpty, "\(text)")
                #expect(scanned.map(\.nodeID) == walked.map(\.nodeID), "\(text)")
                #expect(zip(scanned, walked).allSatisfy { abs($0.score - $1.score) < 1e-9 }, "\(text)")
            }
        }
    }
}
