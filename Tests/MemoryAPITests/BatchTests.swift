import Foundation
import TestSupport
import Testing

/// `POST /memories/batch`: create, update and delete in one call, a result per operation,
/// one bad operation undoes nothing else, and at most 100 operations.
extension OfflineMemoryAPI {
    @Suite struct Batch {
        @Test func mixedOperationsEachGetAResultAndFailuresUndoNothing() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let toUpdate = try #require(try await server.createMemory(token, "I have a goldfish.")["id"]?.string)
            let toDelete = try #require(try await server.createMemory(token, "I rent a flat downtown.")["id"]?.string)
            let unknown = UUID().uuidString.lowercased()
            let operations: [[String: Any]] = [
                ["op": "create", "text": "I bake bread on Sundays.", "tags": ["baking"]],
                ["op": "update", "id": toUpdate, "text": "I have two goldfish.", "reason": "a second fish"],
                ["op": "delete", "id": toDelete],
                ["op": "create", "text": ""],
                ["op": "update", "id": unknown, "text": "nothing"],
                ["op": "frobnicate"],
                ["op": "delete", "id": "not-a-uuid"],
                ["op": "create", "text": "I cycle to work.", "category": "work"],
            ]
            let data = try server.data(try await server.post("/memories/batch", token: token, ["operations": operations]), 200, "batch")
            let results = try #require(data["results"]?.array, "\(data)")
            try #require(results.count == operations.count, "one result per operation: \(results)")
            #expect(results.map { $0["index"]?.int } == Array(0..<operations.count).map { Optional($0) }, "results in order: \(results)")
            #expect(results.map { $0["success"]?.bool } == [true, true, true, false, false, false, false, true], "\(results)")
            #expect(data["succeeded"]?.int == 4 && data["failed"]?.int == 4, "\(data)")
            func code(_ index: Int) -> String? { results[index]["error"]?["code"]?.string }
            func field(_ index: Int) -> String? { results[index]["error"]?["field"]?.string ?? results[index]["field"]?.string }
            #expect(code(3) == "VALIDATION_ERROR" && field(3) == "text", "\(results[3])")
            #expect(code(4) == "RESOURCE_NOT_FOUND", "\(results[4])")
            #expect(code(5) == "VALIDATION_ERROR" && field(5) == "op", "\(results[5])")
            #expect(code(6) == "VALIDATION_ERROR" && field(6) == "id", "\(results[6])")
            for index in [3, 4, 5, 6] {
                #expect(results[index]["error"]?["details"]?.string?.isEmpty == false, "a failure says why: \(results[index])")
            }
            let created = try #require(results[0]["id"]?.string)
            #expect(results[0]["job_id"]?.int != nil, "a created memory names its enrichment job: \(results[0])")
            #expect(results[1]["id"]?.string == toUpdate && results[2]["id"]?.string == toDelete)

            #expect(try await server.memory(token, created)["tags"] == .array([.string("baking")]))
            let updated = try await server.memory(token, toUpdate)
            #expect(updated["text"]?.string == "I have two goldfish.")
            #expect(updated["history"]?.array?.contains { $0["text"]?.string == "I have a goldfish." && $0["reason"]?.string == "a second fish" } == true, "\(updated)")
            expectNotFound(try await server.get("/memories/\(toDelete)", token: token))
            #expect(Set(try await server.texts(token)) == ["I bake bread on Sundays.", "I have two goldfish.", "I cycle to work."])
        }

        @Test func limitsAreEnforced() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let tooMany = (0...100).map { ["op": "create", "text": "Batch memory \($0)."] }
            expectValidation(try await server.post("/memories/batch", token: token, ["operations": tooMany]), field: "operations", "101 operations")
            #expect(try await server.list(token)["total"]?.int == 0, "a refused batch creates nothing")
            expectValidation(try await server.post("/memories/batch", token: token, ["operations": [Any]()]), field: "operations", "no operations")
            expectValidation(try await server.post("/memories/batch", token: token, ["operations": "create"]), field: "operations", "not an array")
            expectValidation(try await server.post("/memories/batch", token: token, [String: Any]()), field: "operations", "missing")

            let hundred = (0..<100).map { ["op": "create", "text": "Batch memory \($0)."] }
            let data = try server.data(try await server.post("/memories/batch", token: token, ["operations": hundred]), 200, "100 operations")
            #expect(data["succeeded"]?.int == 100, "100 is allowed: \(data["failed"] ?? .null)")
            #expect(try await server.list(token, "?limit=0")["total"]?.int == 100)
            let mixed = try await server.post("/memories/batch", token: token, ["operations": [["op": "create", "text": "Not stored."], 7]])
            expectValidation(mixed, field: "operations[1]", "an operation that is no object refuses the whole batch")
            #expect(try await server.list(token, "?limit=0")["total"]?.int == 100, "nothing of a refused batch is stored")
        }
    }
}
