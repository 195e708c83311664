import Foundation
import Postgres
import TestSupport
import Testing

/// Metadata is bounded (64 KiB as compact JSON, 8 levels, 256 keys by default), holds only
/// numbers JSON can write, and counts toward `stored_bytes`; what is refused stores nothing.
extension ContextAPI {
    @Suite struct MetadataBounds {
        /// `{"k":"xxx…"}` taking exactly `bytes` bytes as compact JSON (8 of them are `{"k":""}`).
        static func metadata(ofBytes bytes: Int) -> [String: Any] {
            ["k": String(repeating: "x", count: bytes - 8)]
        }

        /// `levels` objects nested in each other, the outermost being the metadata itself.
        static func nestedObjects(_ levels: Int) -> [String: Any] {
            var value: [String: Any] = ["leaf": true]
            for _ in 1..<levels { value = ["inner": value] }
            return value
        }

        static func withMetadata(_ metadata: [String: Any], source: String) -> RequestBody {
            addBody("A document with metadata.", source: source, extra: ["metadata": metadata])
        }

        @Test func metadataOf64KiBIsStoredAndOneByteMoreIs400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let largest = Self.metadata(ofBytes: 65_536)
            try await server.add(token: token, Self.withMetadata(largest, source: "largest"))
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(Self.metadata(ofBytes: 65_537), source: "too-large")),
                400, "metadata one byte over 64 KiB")
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(Self.metadata(ofBytes: 1_048_576), source: "huge")),
                400, "1 MiB of metadata")
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 1, "only the add within the limit stored a document: \(docs["total"] ?? .null)")
            #expect(docs["documents"]?[0]?["metadata"]?["k"]?.string?.count == 65_536 - 8, "the largest metadata is kept whole")
        }

        @Test func metadataNestedDeeperThan8LevelsIs400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.add(token: token, Self.withMetadata(Self.nestedObjects(8), source: "eight"))
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(Self.nestedObjects(9), source: "nine")),
                400, "9 levels of objects")
            // Arrays are levels too: the object, then 8 arrays.
            var arrays: Any = [1]
            for _ in 1..<8 { arrays = [arrays] }
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(["list": arrays], source: "arrays")),
                400, "an object around 8 levels of arrays")
            #expect(try await server.viewDocs(token: token)["total"]?.int == 1)
        }

        @Test func metadataWithMoreThan256KeysIs400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let keys = { (count: Int) in Dictionary(uniqueKeysWithValues: (0..<count).map { ("key\($0)", $0) }) }
            try await server.add(token: token, Self.withMetadata(keys(256), source: "flat-256"))
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(keys(257), source: "flat-257")),
                400, "257 keys")
            // Keys of nested objects count with the outer ones: 200 + 1 + 56.
            var nested: [String: Any] = keys(200)
            nested["inner"] = Dictionary(uniqueKeysWithValues: (0..<56).map { ("inner\($0)", $0) })
            expectContextError(
                try await server.contextPost("add", token: token, Self.withMetadata(nested, source: "nested-257")),
                400, "257 keys over two objects")
            #expect(try await server.viewDocs(token: token)["total"]?.int == 1)
        }

        /// JSON5 reads Infinity and NaN; stored, they turned the whole metadata into null.
        @Test(arguments: ["Infinity", "-Infinity", "NaN", "+Infinity"])
        func infinityOrNaNInMetadataIs400(_ literal: String) async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for metadata in ["{score: \(literal)}", #"{"ranks": [1, 2, \#(literal)]}"#, #"{"a": {"b": \#(literal)}}"#] {
                let body = #"{"documents": [{"content": "Numbers JSON cannot write."}], "source": "nonfinite", "metadata": \#(metadata)}"#
                expectContextError(try await server.contextPost("add", token: token, .text(body)), 400, "metadata \(metadata)")
            }
            #expect(try await server.viewDocs(token: token)["total"]?.int == 0, "nothing was stored")
        }

        @Test func searchMetadataFiltersAreBoundedLikeStoredMetadata() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            expectContextError(try await server.search(token: token, "filter", extra: ["metadata": Self.metadata(ofBytes: 65_537)]), 400, "a large filter")
            expectContextError(try await server.search(token: token, "filter", extra: ["metadata": Self.nestedObjects(9)]), 400, "a deep filter")
            #expect(try await server.search(token: token, "filter", extra: ["metadata": Self.metadata(ofBytes: 100)]).status == 202)
        }

        /// Every document of an add stores a copy of the metadata, and each copy is counted.
        @Test func metadataCountsAsStoredBytesAndDeletingGivesThemBack() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let contents = ["The first document.", "The second document."]
            try await server.add(token: token, .json([
                "documents": contents.map { ["content": $0] }, "source": "metered", "metadata": ["team": "blue"],
            ]))
            // PostgreSQL writes the stored jsonb as `{"team": "blue"}`: 16 bytes, once per document.
            let expected = contents.map(\.utf8.count).reduce(0, +) + 2 * 16
            #expect(try await Self.storedBytes(server, user) == expected)
            let deleted = try await server.contextPost("delete", token: token, .json(["source": "metered"]))
            #expect(deleted.status == 204, "\(deleted)")
            #expect(try await Self.storedBytes(server, user) == 0)
        }

        static func storedBytes(_ server: TestServer, _ user: String) async throws -> Int {
            try await server.pool.query("""
                SELECT coalesce(sum(quantity), 0)::int8 AS total FROM usage_hourly WHERE user_id = \(user) AND metric = 'stored_bytes'
                """).first!.decode("total", as: Int.self)
        }

        @Test func emptyUserOrOrganizationIDsAre400() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            for token in [server.token(user), server.token(user, scopes: ["context:read", "context:write", "admin"])] {
                for field in ["user_id", "organization_id"] {
                    let body = addBody("An empty id names nobody.", source: "empty-ids", extra: [field: ""])
                    expectContextError(try await server.contextPost("add", token: token, body), 400, "add with \(field) \"\"")
                }
            }
            #expect(try await server.viewDocs(token: server.token(user))["total"]?.int == 0)
        }

        /// The limits are the API's configuration (`METADATA_MAX_BYTES`, `_DEPTH`, `_KEYS`).
        @Test func metadataLimitsComeFromTheConfiguration() async throws {
            try await TestServer.run(["METADATA_MAX_BYTES": "100", "METADATA_MAX_DEPTH": "2", "METADATA_MAX_KEYS": "3"], workerQueues: nil) { server in
                let token = server.newToken()
                func add(_ metadata: [String: Any]) async throws -> HTTPAnswer {
                    try await server.contextPost("add", token: token, MetadataBounds.withMetadata(metadata, source: "configured-\(UUID())"))
                }
                #expect(try await add(MetadataBounds.metadata(ofBytes: 100)).status == 201)
                expectContextError(try await add(MetadataBounds.metadata(ofBytes: 101)), 400, "101 bytes over a limit of 100")
                #expect(try await add(["a": ["b": 1]]).status == 201)
                expectContextError(try await add(["a": ["b": ["c": 1]]]), 400, "3 levels over a limit of 2")
                #expect(try await add(["a": 1, "b": 2, "c": 3]).status == 201)
                expectContextError(try await add(["a": 1, "b": 2, "c": 3, "d": 4]), 400, "4 keys over a limit of 3")
            }
        }
    }
}
