import Foundation
import TestSupport
import Testing

/// A memory created one request ago is found by its words on the next, before any worker
/// embedded it: this server has no worker, so nothing is embedded behind the test's back.
@Suite(.timeLimit(.minutes(2)))
struct MemoryReadYourWrites {
    @Test func theNextSearchFindsAJustCreatedMemoryByItsWords() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.newToken()
            let created = try await server.createMemory(token, "My dentist appointment with Dr. Okafor is on Tuesday at 3pm.")
            try await server.createMemory(token, "I play the violin in a community orchestra.")
            let id = try #require(created["id"]?.string)

            let hits = try await server.search(token, "Okafor appointment")
            #expect(hits.map { $0["id"]?.string } == [id], "\(hits)")
            #expect(hits.first?["similarity"] == .null, "no embedding yet, so no similarity: \(hits)")
            #expect((hits.first?["score"]?.number ?? 0) > 0, "ranked by its words: \(hits)")
            // The default threshold (0.3) is about similarity; a memory without a vector is
            // found by its words regardless.
            #expect(try await server.search(token, "violin", ["threshold": 0.9]).count == 1)
            #expect(try await server.search(server.newToken(), "Okafor appointment", ["threshold": 0]).isEmpty, "another user finds nothing")
        }
    }

    /// The words arm is BM25 with OR semantics: a question finds the memory holding some of
    /// its words, and the memory with the rarer of two words comes first.
    @Test func aQuestionFindsMemoriesByAnyOfItsWordsRarestFirst() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.newToken()
            let coffee = try await server.createMemory(token, "I drink black coffee every morning.")
            for day in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] {
                try await server.createMemory(token, "On \(day) morning I go running before work.")
            }
            // Under AND semantics no memory holds "what", "does", "user", "drink" and "morning" together.
            let hits = try await server.search(token, "what does the user drink in the morning", ["threshold": 0])
            #expect(hits.first?["id"]?.string == coffee["id"]?.string, "\(hits)")
            #expect(hits.count == 6, "every memory holding \"morning\" is a hit: \(hits)")
        }
    }
}
