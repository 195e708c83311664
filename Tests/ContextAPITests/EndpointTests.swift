import Foundation
import TestSupport
import Testing

/// Each endpoint's success answers, the spec's own example requests sent verbatim, and the
/// shapes of `add` and `search` answers.
extension ContextAPI {
    @Suite struct Endpoints {
        /// The spec's Bun/Python `add` example, byte for byte as a client would send it:
        /// `"chained": "false"` as a string and metadata whose values are all strings.
        static let specAddExample = """
            {
                "documents": [
                    {
                        "content": "User preferences for AI interactions"
                    }
                ],
                "source": "platform/maya/smart-settings.upload",
                "context_type": "resource",
                "chained": "false",
                "scope": "internal",
                "metadata": {
                    "file_name": "Name of file",
                    "doc_type": "Type of file",
                    "modalities": "['text', 'image']",
                    "size": "Size of file"
                }
            }
            """

        /// The spec's curl `add` example, verbatim (its last metadata key is unquoted).
        static let specCurlAddExample = """
            {
                "documents": [
                  {
                    "content": "User preferences for AI interactions"
                  }
                ],
                "source": "platform/maya/smart-settings.upload",
                "context_type": "resource",
                "chained": "false",
                "scope": "internal",
                "metadata": {
                  "file_name" : "Name of file",
                  "doc_type" : "Type of file",
                  "modalities": "['text', 'image']",
                  size : "Size of file"
                }
              }
            """

        /// The spec's `search` example.
        static let specSearchExample = """
            {
                "query": "user preferences",
                "similarity_threshold": 0.8,
                "minimum_similarity_threshold": 0.5,
                "scope": "internal",
                "metadata": {}
            }
            """

        /// The spec's `delete` example.
        static let specDeleteExample = """
            {
                "source": "file Name",
                "by_doc": true,
                "by_id" : false
            }
            """

        @Test func theSpecsAddExampleIsAcceptedAndIndexed() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let answer = try await server.contextPost("add", token: token, .text(Self.specAddExample))
            #expect(answer.status == 201, "\(answer)")
            #expect(answer.headers["content-type"]?.contains("application/json") == true)
            let body = try #require(answer.json?.object, "\(answer)")
            let documents = try #require(body["documents"]?.array)
            #expect(documents.count == 1)
            let id = try #require(documents.first?["id"]?.string)
            #expect(UUID(uuidString: id) != nil, "document ids are UUIDs: \(id)")
            #expect(documents.first?["duplicate"]?.bool == false)
            #expect(body["count"]?.int == 1)
            try await server.waitIndexed([id])

            let docs = try await server.viewDocs(token: token)
            let document = try #require(docs["documents"]?.array?.first { $0["id"]?.string == id })
            #expect(document["source"]?.string == "platform/maya/smart-settings.upload")
            #expect(document["context_type"]?.string == "resource")
            #expect(document["scope"]?.string == "internal")
            #expect(document["chained"]?.bool == false, "\"chained\": \"false\" means not chained")
            #expect(document["metadata"]?["doc_type"]?.string == "Type of file")
            #expect(document["indexed"]?.bool == true)

            // The spec's search example finds it (or at least answers 202 with the shape).
            let search = try await server.contextPost("search", token: token, .text(Self.specSearchExample))
            #expect(search.status == 202, "\(search)")
            let results = try #require(search.json?["results"]?.array, "\(search)")
            for result in results {
                if let similarity = result["similarity"]?.number {
                    #expect((0.5...0.8).contains(similarity), "the example's thresholds hold: \(result)")
                }
            }
            // With the thresholds opened, the query finds the example's document first.
            let open = try await server.searchResults(token: token, "user preferences")
            #expect(open.first?["contextData"]?.string == "User preferences for AI interactions", "\(open)")
        }

        @Test func theSpecsExamplesAreAcceptedOnAnEmptyAccount() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let search = try await server.contextPost("search", token: token, .text(Self.specSearchExample))
            #expect(search.status == 202, "\(search)")
            #expect(search.json == .object(["results": .array([])]) || search.json?["results"]?.array?.isEmpty == true, "\(search)")
            let delete = try await server.contextPost("delete", token: token, .text(Self.specDeleteExample))
            #expect(delete.status == 204, "deleting what does not exist is fine: \(delete)")
            #expect(delete.body.isEmpty, "204 has no body")
            #expect(try await server.contextGet("view", token: token).status == 200)
            #expect(try await server.contextGet("view/docs", token: token).status == 200)
        }

        @Test func theSpecsCurlAddExampleWithItsUnquotedKeyIsAccepted() async throws {
            // The curl example writes `size : "Size of file"` without quotes. docs/context-api.md
            // promises JSON5 is accepted for exactly this reason.
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let answer = try await server.contextPost("add", token: token, .text(Self.specCurlAddExample))
            #expect(answer.status == 201, "the curl example (JSON5, as docs/context-api.md promises): \(answer)")
        }

        @Test func addAcceptsEveryDocumentFieldAndEveryEnumValue() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for contextType in ["resource", "conversation", "instruction"] {
                for scope in ["internal", "external"] {
                    let body: [String: Any] = [
                        "documents": [[
                            "content": "A \(contextType) document in the \(scope) scope.",
                            "fileName": "\(contextType)-\(scope).md", "fileType": "text/markdown",
                            "fileSize": 42, "lastModified": "2024-05-01T10:00:00Z",
                        ]],
                        "source": "enums", "context_type": contextType, "scope": scope,
                        "chained": true, "metadata": ["team": "docs", "n": 1],
                    ]
                    let answer = try await server.contextPost("add", token: token, .json(body))
                    #expect(answer.status == 201, "\(contextType)/\(scope): \(answer)")
                }
            }
            // Booleans as strings, both ways, and null optional fields.
            let loose: [String: Any] = ["documents": [["content": "Loose but valid.", "fileName": NSNull()]], "chained": "true",
                                        "metadata": NSNull(), "scope": NSNull(), "context_type": NSNull(), "source": NSNull()]
            #expect(try await server.contextPost("add", token: token, .json(loose)).status == 201)
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 7, "\(docs)")
        }

        @Test func addStoresSeveralDocumentsAtOnce() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let body: [String: Any] = ["documents": (1...5).map { ["content": "Batch document number \($0) about item \($0 * 7).", "fileName": "batch-\($0).txt"] },
                                       "source": "batch"]
            let ids = try await server.addIndexed(token: token, .json(body))
            #expect(ids.count == 5)
            #expect(Set(ids).count == 5)
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 5)
            #expect(Set(docs["documents"]?.array?.compactMap { $0["id"]?.string } ?? []) == Set(ids))
        }

        @Test func searchAnswersTheSpecsShape() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, .json([
                "documents": [["content": "Sourdough bread needs a lively starter and a long, slow fermentation."],
                              ["content": "A lighthouse keeper logs the weather every morning at dawn."]],
                "source": "shape", "metadata": ["kind": "notes"],
            ]))
            let answer = try await server.search(token: token, "baking bread with a starter")
            #expect(answer.status == 202, "\(answer)")
            #expect(answer.headers["content-type"]?.contains("application/json") == true)
            let body = try #require(answer.json?.object)
            #expect(body.keys.contains("results"))
            let results = try #require(body["results"]?.array)
            #expect(!results.isEmpty)
            for result in results {
                #expect(result["contextId"]?.string.flatMap(UUID.init(uuidString:)) != nil, "contextId is a string id: \(result)")
                #expect(result["contextData"]?.string?.isEmpty == false, "contextData is the text: \(result)")
            }
            #expect(results.first?["contextData"]?.string?.contains("Sourdough") == true, "best first: \(results)")
            // The ids are the nodes `view` lists.
            let view = try await server.view(token: token)
            let nodeIDs = Set(view["context"]?.array?.compactMap { $0["_id"]?.string } ?? [])
            for result in results {
                #expect(nodeIDs.contains(result["contextId"]?.string ?? ""), "\(result)")
            }
        }

        @Test func searchKeepsOnlyResultsWithinTheThresholds() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let texts = [
                "The violin has four strings tuned in perfect fifths.",
                "Glaciers carve deep valleys over thousands of years.",
                "A good espresso needs finely ground beans and hot water under pressure.",
                "Chess openings are studied for centuries by grandmasters.",
                "Bees communicate the location of flowers with a waggle dance.",
            ]
            try await server.addIndexed(token: token, .json(["documents": texts.map { ["content": $0] }, "source": "thresholds"]))

            // The exact text of a document is the best match, with similarity ~1.
            let exact = try await server.searchResults(token: token, texts[2])
            let top = try #require(exact.first)
            #expect(top["contextData"]?.string == texts[2])
            let topSimilarity = try #require(top["similarity"]?.number, "results carry their similarity: \(top)")
            #expect(topSimilarity > 0.95, "\(top)")

            // Below the ceiling it is gone.
            let capped = try await server.searchResults(token: token, texts[2], minimum: 0, maximum: 0.9)
            #expect(!capped.contains { $0["contextData"]?.string == texts[2] }, "similarity_threshold is a maximum: \(capped)")

            // Above a high floor only it remains.
            let floored = try await server.searchResults(token: token, texts[2], minimum: 0.9, maximum: 1)
            #expect(floored.map { $0["contextData"]?.string } == [texts[2]], "minimum_similarity_threshold is a floor: \(floored)")

            // Every similarity lies within the window asked for.
            for (minimum, maximum) in [(0.0, 1.0), (0.1, 0.5), (0.2, 0.35), (0.0, 0.2), (0.5, 0.5)] {
                let results = try await server.searchResults(token: token, "music and coffee", minimum: minimum, maximum: maximum)
                for result in results {
                    let similarity = try #require(result["similarity"]?.number)
                    #expect(similarity >= minimum - 1e-9 && similarity <= maximum + 1e-9, "[\(minimum), \(maximum)]: \(result)")
                }
            }
            // An empty window finds nothing.
            #expect(try await server.searchResults(token: token, "music and coffee", minimum: 1, maximum: 1).isEmpty)
        }

        /// The thresholds choose which context is returned, not merely which of the top
        /// candidates survive: a node inside the window is found even when many nodes more
        /// similar than the window's ceiling exist.
        @Test func searchFindsContextInsideTheWindowBehindManyBetterMatches() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let query = "rain and wind at the harbour"
            let near = (1...60).map { "Harbour weather \($0): rain showers and strong wind at the harbour, gusting \($0 + 10) knots." }
            let far = "A sailing boat waits in the marina for calmer seas."
            try await server.addIndexed(token: token, .json(["documents": (near + [far]).map { ["content": $0] }, "source": "window"]))

            // Precondition: the weather notes are all more similar than 0.6, the boat note within [0.2, 0.6].
            let all = try await server.searchResults(token: token, query, extra: ["limit": 100])
            let similarities = Dictionary(all.compactMap { r in r["contextData"]?.string.map { ($0, r["similarity"]?.number ?? -1) } }) { a, _ in a }
            let farSimilarity = try #require(similarities[far], "the boat note is among all \(all.count) results")
            #expect(farSimilarity > 0.2 && farSimilarity < 0.6, "\(farSimilarity)")
            let nearSimilarities = near.compactMap { similarities[$0] }
            #expect(nearSimilarities.count == 60 && nearSimilarities.allSatisfy { $0 > 0.6 }, "\(nearSimilarities.sorted().prefix(3))")

            let window = try await server.searchResults(token: token, query, minimum: 0.2, maximum: 0.6)
            #expect(window.map { $0["contextData"]?.string } == [far],
                    "only the boat note lies in [0.2, 0.6]; found \(window.compactMap { $0["contextData"]?.string?.prefix(30) })")
        }

        @Test func searchHonoursLimit() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let texts = (1...12).map { "Weather report \($0): light rain over the harbour with winds from the west at \($0 * 3) knots." }
            try await server.addIndexed(token: token, .json(["documents": texts.map { ["content": $0] }, "source": "limit"]))
            let all = try await server.searchResults(token: token, "rain and wind at the harbour")
            #expect(all.count == 10, "the default limit is 10: \(all.count)")
            for limit in [1, 3, 12] {
                let results = try await server.searchResults(token: token, "rain and wind at the harbour", extra: ["limit": limit])
                #expect(results.count == limit, "limit \(limit): \(results.count)")
            }
            let one = try await server.searchResults(token: token, "rain and wind at the harbour", extra: ["limit": 1])
            #expect(one.first?["contextId"] == all.first?["contextId"], "limit keeps the best")
            #expect(try await server.searchResults(token: token, "rain and wind at the harbour", extra: ["limit": 100]).count == 12)
        }

        @Test func searchFiltersByScopeAndMetadata() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, .json([
                "documents": [["content": "Internal note: the quarterly roadmap moves the launch to autumn."]],
                "source": "filters", "scope": "internal", "metadata": ["team": "product", "year": 2024],
            ]))
            try await server.addIndexed(token: token, .json([
                "documents": [["content": "External note: the public roadmap shows the launch in autumn."]],
                "source": "filters", "scope": "external", "metadata": ["team": "marketing"],
            ]))
            let query = "roadmap launch autumn"
            let internalOnly = try await server.searchResults(token: token, query)
            #expect(internalOnly.map { $0["contextData"]?.string?.hasPrefix("Internal") } == [true], "scope defaults to internal: \(internalOnly)")
            let external = try await server.searchResults(token: token, query, extra: ["scope": "external"])
            #expect(external.map { $0["contextData"]?.string?.hasPrefix("External") } == [true], "\(external)")
            let product = try await server.searchResults(token: token, query, extra: ["metadata": ["team": "product"]])
            #expect(product.count == 1)
            let none = try await server.searchResults(token: token, query, extra: ["metadata": ["team": "marketing"]])
            #expect(none.isEmpty, "the marketing note is external: \(none)")
            let empty = try await server.searchResults(token: token, query, extra: ["metadata": [String: Any]()])
            #expect(empty.count == 1, "empty metadata filters nothing")
        }

        @Test func searchOnlyFindsIndexedContextAndAnswersAtOnce() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let results = try await server.searchResults(token: token, "nothing here yet")
            #expect(results.isEmpty)
        }

        @Test func deleteAnswers204WithNoBody() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, addBody("Short-lived note.", source: "delete-204"))
            let answer = try await server.contextPost("delete", token: token, .json(["source": "delete-204", "by_doc": true, "by_id": false]))
            #expect(answer.status == 204, "\(answer)")
            #expect(answer.body.isEmpty)
            // Defaults: by_doc true, by_id false.
            #expect(try await server.contextPost("delete", token: token, .json(["source": "delete-204"])).status == 204)
            #expect(try await server.contextPost("delete", token: token, .json(["source": "delete-204", "by_doc": "true", "by_id": "false"])).status == 204)
        }
    }
}
