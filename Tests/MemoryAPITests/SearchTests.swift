import Foundation
import TestSupport
import Testing

/// `POST /memories/search`: semantic + full-text, with filters, a threshold and scores,
/// best first.
extension OfflineMemoryAPI {
    @Suite struct Search {
        @Test func findsByMeaningAndByWordsBestFirstWithScoresFiltersAndThreshold() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let ids = try await server.createEnriched(token, [
                "I am allergic to peanuts.", "My favourite city is Lisbon.", "I play the violin in a community orchestra.",
                "My dentist appointment is on Tuesday.",
            ])
            try server.data(try await server.put("/memories/\(ids[0])", token: token, ["category": "health", "tags": ["medical"]]), 200, "PUT category")
            try server.data(try await server.put("/memories/\(ids[3])", token: token, ["category": "health"]), 200, "PUT category")
            try server.data(try await server.put("/memories/\(ids[2])", token: token, ["category": "hobbies", "tags": ["music"]]), 200, "PUT category")
            let (peanuts, lisbon, violin, dentist) = (ids[0], ids[1], ids[2], ids[3])

            let answer = try await server.post("/memories/search", token: token, ["query": "Which foods am I allergic to?"])
            let data = try server.data(answer, 200, "search")
            #expect(data["query"]?.string == "Which foods am I allergic to?")
            let results = try #require(data["results"]?.array)
            #expect(results.first?["id"]?.string == peanuts, "the allergy is the best hit: \(results)")
            for result in results {
                let similarity = try #require(result["similarity"]?.number, "every hit has a similarity: \(result)")
                #expect(result["score"]?.number != nil, "every hit has a score: \(result)")
                #expect(similarity >= 0.3 - 1e-9, "the default threshold holds: \(result)")
                #expect(result["text"]?.string != nil && result["category"] != nil, "hits are whole memories: \(result)")
            }
            let scores = results.compactMap { $0["score"]?.number }
            #expect(scores == scores.sorted(by: >), "best first: \(scores)")

            // Full text: a rare word finds its memory.
            #expect(try await server.search(token, "violin").first?["id"]?.string == violin)
            #expect(try await server.search(token, "Lisbon").first?["id"]?.string == lisbon)

            // Threshold.
            let strict = try await server.search(token, "Which foods am I allergic to?", ["threshold": 0.6])
            #expect(strict.allSatisfy { ($0["similarity"]?.number ?? 0) >= 0.6 }, "\(strict)")
            #expect(try await server.search(token, "quantum chromodynamics of gluons", ["threshold": 0.9]).isEmpty)
            let everything = try await server.search(token, "my life", ["threshold": 0, "limit": 10])
            #expect(Set(everything.compactMap { $0["id"]?.string }) == Set(ids), "threshold 0 finds all four: \(everything)")
            #expect(try await server.search(token, "my life", ["threshold": 0, "limit": 2]).count == 2, "limit")

            // Filters.
            let health = try await server.search(token, "health appointments and allergies", ["threshold": 0, "category": "health"])
            #expect(Set(health.compactMap { $0["id"]?.string }) == [peanuts, dentist], "category filter: \(health)")
            let music = try await server.search(token, "my life", ["threshold": 0, "tags": ["music"]])
            #expect(music.compactMap { $0["id"]?.string } == [violin], "tags filter: \(music)")
            let none = try await server.search(token, "my life", ["threshold": 0, "category": "finance"])
            #expect(none.isEmpty, "\(none)")
        }

        @Test func refusesBadSearchRequestsNamingTheField() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let cases: [([String: Any], String)] = [
                ([:], "query"), (["query": ""], "query"), (["query": "   "], "query"), (["query": 7], "query"),
                (["query": String(repeating: "a", count: 2001)], "query"),
                (["query": "x", "threshold": 1.5], "threshold"), (["query": "x", "threshold": -0.1], "threshold"),
                (["query": "x", "threshold": "high"], "threshold"),
                (["query": "x", "limit": 0], "limit"), (["query": "x", "limit": 101], "limit"), (["query": "x", "limit": 2.5], "limit"),
                (["query": "x", "category": "two words"], "category"), (["query": "x", "tags": "music"], "tags"),
            ]
            for (body, field) in cases {
                expectValidation(try await server.post("/memories/search", token: token, body), field: field, "search \(body)")
            }
        }
    }
}
