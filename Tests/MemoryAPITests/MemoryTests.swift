import Foundation
import TestSupport
import Testing

/// `POST/GET/PUT/DELETE /memories…`: creation answers at once and enrichment follows in a
/// job; every change keeps the previous version in history; deletion is soft.
extension OfflineMemoryAPI {
    @Suite struct Memories {
        static let categories: Set<String> = [
            "work", "personal", "health", "finance", "travel", "food", "hobbies", "relationships", "learning", "preferences", "other",
        ]
        static let emotions: Set<String> = ["happy", "excited", "grateful", "sad", "angry", "anxious", "neutral"]

        @Test func createAnswersAtOnceAndTheJobEnrichesWithCategoryAndEmotion() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let created = try await server.createMemory(token, "I am allergic to peanuts and shellfish.", ["tags": ["health", "food"], "metadata": ["origin": "test"]])
            let id = try #require(created["id"]?.string)
            #expect(UUID(uuidString: id) != nil, "id is a UUID: \(created)")
            #expect(created["text"]?.string == "I am allergic to peanuts and shellfish.")
            #expect(created["enrichment"]?.string == "pending", "the answer says enrichment is pending: \(created)")
            #expect(created["category"]?.isNull == true && created["emotion"]?.isNull == true, "nothing inferred yet: \(created)")
            #expect(created["source"]?.string == "manual")
            #expect(created["tags"] == .array([.string("health"), .string("food")]))
            #expect(created["metadata"]?["origin"]?.string == "test")
            #expect(created["version"]?.int == 1)
            #expect(created["created_at"]?.string != nil && created["updated_at"]?.string != nil)
            let jobID = try #require(created["job_id"]?.int, "the enrichment job's id: \(created)")

            let job = try await server.waitJob(token, jobID)
            #expect(job["kind"]?.string == "memory.index", "\(job)")
            let memory = try await server.waitEnriched(token, id)
            let category = try #require(memory["category"]?.string, "category inferred: \(memory)")
            let emotion = try #require(memory["emotion"]?.string, "emotion inferred: \(memory)")
            #expect(Self.categories.contains(category), "category \(category) is one of the documented set")
            #expect(Self.emotions.contains(emotion), "emotion \(emotion) is one of the documented set")
            #expect(category == "health", "peanut allergies are about health: \(memory)")
            let categoryConfidence = try #require(memory["category_confidence"]?.number, "\(memory)")
            let emotionConfidence = try #require(memory["emotion_confidence"]?.number, "\(memory)")
            #expect(categoryConfidence > 0 && categoryConfidence <= 1)
            #expect(emotionConfidence > 0 && emotionConfidence <= 1)
            #expect(memory["tags"] == .array([.string("health"), .string("food")]), "enrichment keeps the tags")
            let raw = try await server.get("/memories/\(id)", token: token).text
            #expect(raw.range(of: #""version":\d+[,}]"#, options: .regularExpression) != nil && !raw.contains(#""version":1.0"#),
                    "whole numbers are JSON integers: \(raw)")
            let history = try #require(memory["history"]?.array, "GET shows history: \(memory)")
            #expect(history.first?["change"]?.string == "created", "\(history)")
            #expect(history.allSatisfy { $0["text"]?.string == "I am allergic to peanuts and shellfish." })
        }

        @Test func categoryAndEmotionGivenByTheClientAreKept() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let created = try await server.createMemory(token, "The quarterly report is due on Friday.", ["category": "Work", "emotion": "anxious"])
            #expect(created["category"]?.string == "work", "labels are normalized to lower case: \(created)")
            #expect(created["category_confidence"]?.number == 1 && created["emotion_confidence"]?.number == 1, "\(created)")
            let memory = try await server.waitEnriched(token, try #require(created["id"]?.string))
            #expect(memory["category"]?.string == "work" && memory["emotion"]?.string == "anxious", "enrichment never overrides the client: \(memory)")
            #expect(memory["category_confidence"]?.number == 1 && memory["emotion_confidence"]?.number == 1)
        }

        @Test func updateKeepsThePreviousVersionWithItsReasonAndANewTextIsIndexedAgain() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let id = try await server.createEnriched(token, ["I drive a blue Toyota."])[0]
            let before = try await server.memory(token, id)
            let version = try #require(before["version"]?.int)

            let updated = try server.data(try await server.put("/memories/\(id)", token: token, ["text": "I drive a red Tesla.", "reason": "bought a new car"]), 200, "PUT text")
            #expect(updated["text"]?.string == "I drive a red Tesla.")
            #expect(updated["version"]?.int == version + 1, "the version goes up: \(updated)")
            #expect(updated["enrichment"]?.string == "pending", "a new text is enriched again: \(updated)")
            let jobID = try #require(updated["job_id"]?.int, "a new text is indexed again: \(updated)")

            let memory = try await server.memory(token, id)
            let history = try #require(memory["history"]?.array)
            let previous = try #require(history.first { $0["change"]?.string == "updated" }, "\(history)")
            #expect(previous["text"]?.string == "I drive a blue Toyota.", "history keeps the previous text: \(history)")
            #expect(previous["reason"]?.string == "bought a new car", "and why it changed: \(history)")
            #expect(previous["change"]?.string == "updated")
            #expect(previous["version"]?.int == version, "the entry is the replaced version: \(history)")

            try await server.waitJob(token, jobID)
            let enriched = try await server.waitEnriched(token, id)
            #expect(enriched["text"]?.string == "I drive a red Tesla.")
            let hit = try await server.search(token, "I drive a red Tesla.", ["threshold": 0]).first { $0["id"]?.string == id }
            let similarity = try #require(hit?["similarity"]?.number, "the memory is found by its new text")
            #expect(similarity > 0.99, "its embedding is the new text's: \(similarity)")

            // A change of tags only: no new indexing, the text and category stay.
            let category = enriched["category"]?.string
            let tagged = try server.data(try await server.put("/memories/\(id)", token: token, ["tags": ["car"]]), 200, "PUT tags")
            #expect(tagged["job_id"]?.isNull == true, "tags alone are not indexed again: \(tagged)")
            #expect(tagged["tags"] == .array([.string("car")]) && tagged["text"]?.string == "I drive a red Tesla.")
            #expect(tagged["category"]?.string == category && tagged["enrichment"]?.string == "done", "\(tagged)")
            let afterTags = try #require(try await server.memory(token, id)["history"]?.array)
            let enrichedHistory = try #require(enriched["history"]?.array)
            #expect(afterTags.count == enrichedHistory.count + 1, "every change adds to history: \(afterTags)")
            #expect(afterTags.last?["tags"] == .array([]), "the tags entry keeps the old (empty) tags: \(afterTags)")
            #expect(afterTags.last?["reason"]?.string?.isEmpty == false, "a change without a reason still says why: \(afterTags)")
        }

        @Test func updateRefusesNothingToChangeBadFieldsAndUnknownMemories() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let id = try #require(try await server.createMemory(token, "I collect stamps.")["id"]?.string)
            expectValidation(try await server.put("/memories/\(id)", token: token, [String: Any]()), field: "text", "PUT {}")
            expectValidation(try await server.put("/memories/\(id)", token: token, ["text": "  "]), field: "text", "PUT blank text")
            expectValidation(try await server.put("/memories/\(id)", token: token, ["text": 42]), field: "text", "PUT text 42")
            expectValidation(try await server.put("/memories/\(id)", token: token, ["tags": "stamps"]), field: "tags", "PUT tags string")
            expectValidation(try await server.put("/memories/\(id)", token: token, ["category": "two words"]), field: "category", "PUT bad category")
            expectValidation(try await server.put("/memories/\(id)", token: token, ["metadata": [1, 2]]), field: "metadata", "PUT metadata array")
            expectNotFound(try await server.put("/memories/\(UUID().uuidString)", token: token, ["text": "I collect coins."]), "PUT unknown id")
            expectValidation(try await server.put("/memories/not-a-uuid", token: token, ["text": "I collect coins."]), field: "id", "PUT bad id")
            #expect(try await server.memory(token, id)["text"]?.string == "I collect stamps.", "refused changes change nothing")
        }

        @Test func deleteIsSoftThe404sFollowAndHistoryIsKept() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let ids = try await server.createEnriched(token, ["My locker code is 4512.", "I am learning Portuguese."])
            let (gone, kept) = (ids[0], ids[1])

            let answer = try await server.delete("/memories/\(gone)", token: token)
            #expect([200, 204].contains(answer.status), "DELETE: \(answer)")
            if answer.status == 200 { expectEnvelope(answer, 200, "DELETE") }
            expectNotFound(try await server.get("/memories/\(gone)", token: token), "GET after DELETE")
            expectNotFound(try await server.delete("/memories/\(gone)", token: token), "DELETE twice")
            expectNotFound(try await server.put("/memories/\(gone)", token: token, ["text": "My locker code is 9999."]), "PUT after DELETE")
            #expect(try await server.texts(token) == ["I am learning Portuguese."], "list shows only the live one")
            #expect(try await server.list(token)["total"]?.int == 1)
            let found = try await server.search(token, "What is my locker code?", ["threshold": 0])
            #expect(!found.contains { $0["id"]?.string == gone }, "search never finds a deleted memory: \(found)")
            #expect(found.contains { $0["id"]?.string == kept })

            // Nothing is hard-deleted: the row and its history stay.
            let row = try #require(try await server.memoryRow(gone), "the row still exists")
            #expect(try row.decode("deleted_at", as: Date?.self) != nil, "deleted_at is set")
            #expect(try row.decode("text", as: String.self) == "My locker code is 4512.")
            let history = try await server.historyRows(gone)
            #expect(history.last?.change == "deleted" && history.last?.text == "My locker code is 4512.", "\(history)")
            expectValidation(try await server.delete("/memories/12345", token: token), field: "id", "DELETE bad id")
        }
    }
}
