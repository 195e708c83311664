import Foundation
import TestSupport
import Testing

/// One tenant's backlog does not hold up another tenant's first document: the embedding
/// queue takes turns between owners (sql/0017). Measured for a 10,000-document flood by
/// `make bench-api` (`op=fair-indexed`); here a smaller flood, and a condition instead of a
/// clock: the quiet tenant's document is indexed while most of the flood still waits.
@Suite(.timeLimit(.minutes(5)))
struct ContextFairness {
    @Test func anotherTenantsDocumentIsIndexedLongBeforeABacklogDrains() async throws {
        try await TestServer.run(workerQueues: "default=2,embedding=1") { server in
            let flood = server.token(TestServer.newUser("flood"))
            let quiet = server.token(TestServer.newUser("quiet"))
            var floodIDs = [String]()
            for batch in 0..<4 {
                let documents = (0..<100).map { ["content": "Flood note \(batch)-\($0): the fjord's glacier retreated again this year."] }
                floodIDs += try await server.add(token: flood, .json(["documents": documents, "source": "flood"]))
            }
            let single = try await server.add(token: quiet, .json(["documents": [["content": "The quiet tenant's only note."]], "source": "quiet"]))
            try await server.waitIndexed(single, timeout: .seconds(240))
            let uuids = floodIDs.compactMap(UUID.init(uuidString:))
            let waiting = try await server.pool.query("""
                SELECT count(*) AS n FROM context_documents WHERE id = ANY(\(uuids)) AND state <> 'indexed'
                """).first!.decode("n", as: Int.self)
            #expect(waiting >= floodIDs.count / 2, "the quiet document waited for \(floodIDs.count - waiting) of the flood's \(floodIDs.count)")
        }
    }
}
