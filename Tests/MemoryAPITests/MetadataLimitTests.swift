import Foundation
import TestSupport
import Testing

/// A memory's metadata is bounded as document metadata is (64 KiB as compact JSON, 8
/// levels, 256 keys by default) and holds only numbers JSON can write: beyond, 422 naming
/// `metadata`, and nothing of the request is written, in a batch operation too.
extension OfflineMemoryAPI {
    @Suite struct MetadataLimits {
        /// `{"k":"xxx…"}` taking exactly `bytes` bytes as compact JSON.
        static func metadata(ofBytes bytes: Int) -> [String: Any] {
            ["k": String(repeating: "x", count: bytes - 8)]
        }

        @Test func metadataOf64KiBIsKeptAndOneByteMoreIs422() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let created = try await server.createMemory(token, "My notes carry a lot of metadata.", ["metadata": Self.metadata(ofBytes: 65_536)])
            #expect(created["metadata"]?["k"]?.string?.count == 65_536 - 8, "the largest metadata is kept whole")
            expectValidation(
                try await server.post("/memories", token: token, ["text": "Too much metadata.", "metadata": Self.metadata(ofBytes: 65_537)]),
                field: "metadata", "one byte over 64 KiB")
            expectValidation(
                try await server.post("/memories", token: token, ["text": "Far too much.", "metadata": Self.metadata(ofBytes: 1_048_576)]),
                field: "metadata", "1 MiB")
            #expect(try await server.list(token, "?limit=0")["total"]?.int == 1, "refused creates stored nothing")
        }

        @Test func deepWideOrNonFiniteMetadataIs422() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            var deep: [String: Any] = ["leaf": 1]
            for _ in 1..<9 { deep = ["inner": deep] }
            let wide = Dictionary(uniqueKeysWithValues: (0..<257).map { ("key\($0)", $0) })
            let shapes: [(String, [String: Any])] = [("9 levels", deep), ("257 keys", wide)]
            for (label, metadata) in shapes {
                expectValidation(try await server.post("/memories", token: token, ["text": "Shaped metadata.", "metadata": metadata]), field: "metadata", label)
            }
            for literal in ["Infinity", "-Infinity", "NaN"] {
                let body = #"{"text": "Numbers JSON cannot write.", "metadata": {"score": {"value": \#(literal)}}}"#
                expectValidation(try await server.send("POST", "/memories", token: token, body: .text(body)), field: "metadata", literal)
            }
            #expect(try await server.list(token, "?limit=0")["total"]?.int == 0, "nothing was stored")
        }

        @Test func aRefusedUpdateChangesNothing() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let id = try #require(try await server.createMemory(token, "I keep bees.", ["metadata": ["hives": 2]])["id"]?.string)
            expectValidation(
                try await server.put("/memories/\(id)", token: token, ["text": "I keep wasps.", "metadata": Self.metadata(ofBytes: 65_537)]),
                field: "metadata", "an update with too much metadata")
            let memory = try await server.memory(token, id)
            #expect(memory["text"]?.string == "I keep bees.", "the text did not change: \(memory)")
            #expect(memory["metadata"]?["hives"]?.int == 2 && memory["metadata"]?["k"] == nil, "the metadata did not change: \(memory)")
        }

        /// Each operation is answered on its own; a refused one writes nothing, not even the
        /// fields of it that were fine.
        @Test func aBatchOperationWithTooMuchMetadataWritesNothing() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let id = try #require(try await server.createMemory(token, "I play the cello.")["id"]?.string)
            let operations: [[String: Any]] = [
                ["op": "create", "text": "I play chess on Tuesdays.", "metadata": Self.metadata(ofBytes: 1_000)],
                ["op": "create", "text": "I collect stamps.", "metadata": Self.metadata(ofBytes: 65_537)],
                ["op": "update", "id": id, "text": "I play the double bass.", "metadata": Self.metadata(ofBytes: 65_537)],
            ]
            let data = try server.data(try await server.post("/memories/batch", token: token, ["operations": operations]), 200, "batch")
            let results = try #require(data["results"]?.array, "\(data)")
            #expect(results.map { $0["success"]?.bool } == [true, false, false], "\(results)")
            for index in [1, 2] {
                #expect(results[index]["error"]?["code"]?.string == "VALIDATION_ERROR", "\(results[index])")
                #expect(results[index]["error"]?["field"]?.string == "metadata", "\(results[index])")
            }
            #expect(Set(try await server.texts(token)) == ["I play the cello.", "I play chess on Tuesdays."])
        }
    }
}
