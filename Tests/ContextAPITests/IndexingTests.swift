import Core
import Foundation
import Jobs
import TestSupport
import Testing

/// What the workers make of added documents: chunks, chains, idempotence.
extension ContextAPI {
    @Suite struct Indexing {
        /// Six paragraphs of about 200 words each, every sentence distinct.
        static func longDocument(_ tag: String) -> String {
            let topics = ["rivers", "mountains", "forests", "deserts", "oceans", "glaciers"]
            return topics.enumerated().map { index, topic in
                (1...10).map { sentence in
                    "In part \(index + 1) about \(topic), remark \(sentence) of \(tag) notes that the \(topic) shape the land in slow and patient ways."
                }.joined(separator: " ")
            }.joined(separator: "\n\n")
        }

        /// The nodes `view` lists for `source`, in document order.
        static func nodes(_ server: TestServer, _ token: String, source: String) async throws -> [JSON] {
            let view = try await server.view(token: token, "?limit=500&source=\(source)")
            let nodes = try #require(view["context"]?.array)
            #expect(view["total"]?.int == nodes.count)
            return nodes.sorted { ($0["telemetry_data"]?["position"]?.int ?? 0) < ($1["telemetry_data"]?["position"]?.int ?? 0) }
        }

        @Test func chainedDocumentsLinkTheirNodesInOrder() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let source = "chained-\(UUID().uuidString.prefix(8))"
            let text = Self.longDocument(source)
            let ids = try await server.addIndexed(token: token, .json(["documents": [["content": text]], "source": source, "chained": true]))
            let nodes = try await Self.nodes(server, token, source: source)
            #expect(nodes.count >= 4, "a ~1,200-word document makes several chunks: \(nodes.count)")
            #expect(try await server.nodeCount(document: ids[0]) == nodes.count)
            let nodeIDs = nodes.map { $0["_id"]?.string ?? "" }
            for (index, node) in nodes.enumerated() {
                #expect(node["telemetry_data"]?["position"]?.int == index, "positions run 0, 1, 2…")
                let parents = node["parent_context_nodes"]?.array?.compactMap(\.string)
                let children = node["children_context_nodes"]?.array?.compactMap(\.string)
                #expect(parents == (index == 0 ? [] : [nodeIDs[index - 1]]), "node \(index)'s parent is the node before it")
                #expect(children == (index == nodes.count - 1 ? [] : [nodeIDs[index + 1]]), "node \(index)'s child is the node after it")
                #expect(node["indexed"]?.bool == true)
            }
            // The chain covers the whole text, in order: every remark appears in some node,
            // and the first words of each node come later in the document than the previous node's.
            let joined = nodes.compactMap { $0["text"]?.string }.joined(separator: "\n")
            for paragraph in 1...6 {
                #expect(joined.contains("In part \(paragraph) about"), "paragraph \(paragraph) is in the chain")
            }
            var cursor = text.startIndex
            for node in nodes {
                let head = String((node["text"]?.string ?? "").prefix(40))
                let found = try #require(text.range(of: head, range: cursor..<text.endIndex), "node text \(head) follows the previous one")
                cursor = found.lowerBound
            }
            // Every chunk fits the model's window (254 word pieces; words here are 1–2 pieces).
            for node in nodes {
                let words = (node["text"]?.string ?? "").split(whereSeparator: \.isWhitespace).count
                #expect(words <= 254, "a chunk of \(words) words cannot fit 254 tokens")
            }
        }

        @Test func unchainedDocumentsHaveNoLinks() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for (source, chained) in [("plain-\(UUID().uuidString.prefix(8))", false as Any), ("plain-str-\(UUID().uuidString.prefix(8))", "false" as Any)] {
                try await server.addIndexed(token: token, .json(["documents": [["content": Self.longDocument(source)]], "source": source, "chained": chained]))
                let nodes = try await Self.nodes(server, token, source: source)
                #expect(nodes.count >= 4)
                for node in nodes {
                    #expect(node["parent_context_nodes"] == .array([]), "\(source): \(node["parent_context_nodes"] ?? .null)")
                    #expect(node["children_context_nodes"] == .array([]), "\(source): \(node["children_context_nodes"] ?? .null)")
                }
            }
            // Without `chained` at all: the default is not chained.
            let source = "default-\(UUID().uuidString.prefix(8))"
            try await server.addIndexed(token: token, .json(["documents": [["content": Self.longDocument(source)]], "source": source]))
            for node in try await Self.nodes(server, token, source: source) {
                #expect(node["parent_context_nodes"] == .array([]) && node["children_context_nodes"] == .array([]))
            }
        }

        @Test func aShortChainedDocumentIsOneUnlinkedNode() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, .json(["documents": [["content": "Just one short sentence."]], "source": "short", "chained": true]))
            let nodes = try await Self.nodes(server, token, source: "short")
            #expect(nodes.count == 1)
            #expect(nodes.first?["parent_context_nodes"] == .array([]) && nodes.first?["children_context_nodes"] == .array([]))
        }

        @Test func addingTheSameDocumentTwiceStoresItOnce() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let body = RequestBody.json(["documents": [["content": "Idempotent: the same note, added twice.", "fileName": "note.txt"]], "source": "twice"])
            let first = try await server.contextPost("add", token: token, body)
            #expect(first.status == 201)
            let firstID = try #require(first.json?["documents"]?[0]?["id"]?.string)
            #expect(first.json?["documents"]?[0]?["duplicate"]?.bool == false)
            try await server.waitIndexed([firstID])

            let second = try await server.contextPost("add", token: token, body)
            #expect(second.status == 201, "\(second)")
            #expect(second.json?["documents"]?[0]?["duplicate"]?.bool == true, "\(second)")
            #expect(second.json?["documents"]?[0]?["id"]?.string == firstID, "the existing document's id: \(second)")

            // Also while the first is still being indexed: add, then add again at once.
            let racing = RequestBody.json(["documents": [["content": "Second note, added twice quickly."]], "source": "twice"])
            let third = try await server.add(token: token, racing)
            let fourth = try await server.contextPost("add", token: token, racing)
            #expect(fourth.json?["documents"]?[0]?["duplicate"]?.bool == true, "\(fourth)")
            #expect(fourth.json?["documents"]?[0]?["id"]?.string == third[0])
            try await server.waitIndexed(third)

            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 2, "one document each: \(docs)")
            #expect(try await server.nodeCount(document: firstID) == 1)
            #expect(try await server.view(token: token)["total"]?.int == 2)
            #expect(try await server.jobs(document: firstID, kinds: ["context.embed"]).count == 1, "no second embedding job for a duplicate")
            // A different source or file name is a different document.
            let other = try await server.contextPost("add", token: token, .json(["documents": [["content": "Idempotent: the same note, added twice.", "fileName": "copy.txt"]], "source": "twice"]))
            #expect(other.json?["documents"]?[0]?["duplicate"]?.bool == false, "\(other)")
        }

        @Test func concurrentAddsOfTheSameDocumentStoreItOnce() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            // Up to ten rounds of sixteen clients sending the same document at the same moment,
            // each on a connection of its own; the first round that stores it twice fails.
            var raced = false
            for round in 1...10 {
                let body = RequestBody.json(["documents": [["content": "Raced: the same note sent by many clients at once, round \(round)."]], "source": "race"])
                let answers = try await withThrowingTaskGroup(of: HTTPAnswer.self) { group in
                    for _ in 0..<16 {
                        group.addTask { try await server.send("POST", "/context/add", token: token, body: body) }
                    }
                    return try await group.reduce(into: [HTTPAnswer]()) { $0.append($1) }
                }
                #expect(answers.allSatisfy { $0.status == 201 }, "\(answers.filter { $0.status != 201 })")
                let entries = answers.compactMap { $0.json?["documents"]?[0] }
                let stored = Set(entries.filter { $0["duplicate"]?.bool == false }.compactMap { $0["id"]?.string })
                let named = Set(entries.compactMap { $0["id"]?.string })
                guard stored.count == 1, named.count == 1 else {
                    Issue.record("""
                        round \(round): 16 concurrent adds of one document stored \(stored.count) documents (\(stored.sorted())); \
                        exactly one should be stored and the other answers say duplicate with its id
                        """)
                    raced = true
                    break
                }
            }
            if !raced {
                let docs = try await server.viewDocs(token: token)
                #expect(docs["total"]?.int == 10, "one document per round: \(docs["total"] ?? .null)")
            }
        }

        @Test func aSecondIngestJobForTheSameDocumentChangesNothing() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let source = "reingest-\(UUID().uuidString.prefix(8))"
            let ids = try await server.addIndexed(token: token, .json(["documents": [["content": Self.longDocument(source)]], "source": source, "chained": true]))
            let documentID = try #require(UUID(uuidString: ids[0]))
            let before = try await Self.nodes(server, token, source: source)
            #expect(before.count >= 4)
            #expect(try await server.nodeCount(document: ids[0]) == before.count)

            // Enqueue the ingest (and the embedding) again straight on the queue, without a
            // unique key, as a retry or a duplicate delivery would.
            let queue = JobQueue()
            let ingest = try await queue.enqueue(try NewJob(IngestDocumentArgs(documentID: documentID)), pool: server.pool)
            let embed = try await queue.enqueue(try NewJob(EmbedDocumentArgs(documentID: documentID)), pool: server.pool)
            #expect(ingest.inserted && embed.inserted)
            for id in [ingest.id, embed.id] {
                try await eventually("job \(id) to finish", timeout: .seconds(120)) {
                    let state = try await server.pool.query("SELECT state::text AS state FROM jobs WHERE id = \(id)").first?.decode("state", as: String.self)
                    if state == "failed" || state == "cancelled" { throw HarnessFailure("job \(id) ended \(state!)") }
                    return state == "completed"
                }
            }
            #expect(try await server.nodeCount(document: ids[0]) == before.count, "the node count did not double")
            let after = try await Self.nodes(server, token, source: source)
            #expect(after.map { $0["_id"] } == before.map { $0["_id"] }, "the very same nodes")
            #expect(after.map { $0["text"] } == before.map { $0["text"] })
            #expect(after.allSatisfy { $0["indexed"]?.bool == true })
            let docs = try await server.viewDocs(token: token)
            let document = docs["documents"]?.array?.first { $0["id"]?.string == ids[0] }
            #expect(document?["state"]?.string == "indexed")
            #expect(document?["node_count"]?.int == before.count)
            #expect(document?["indexed_nodes"]?.int == before.count)
            // Search finds each chunk once.
            let results = try await server.searchResults(token: token, "glaciers shape the land", extra: ["limit": 100])
            let contextIDs = results.compactMap { $0["contextId"]?.string }
            #expect(Set(contextIDs).count == contextIDs.count, "no duplicate results")
        }

        @Test func aDocumentMovesFromChunkedToIndexed() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let answer = try await server.contextPost("add", token: token, addBody("States: chunked, indexed.", source: "states"))
            let entry = try #require(answer.json?["documents"]?[0])
            #expect(entry["state"]?.string == "chunked", "add chunks in the request and answers before embedding: \(answer)")
            #expect(entry["job_id"]?.int != nil, "the embedding job's id: \(answer)")
            let id = try #require(entry["id"]?.string)
            try await server.waitIndexed([id])
            let docs = try await server.viewDocs(token: token)
            let document = try #require(docs["documents"]?.array?.first)
            #expect(document["state"]?.string == "indexed")
            #expect(document["indexed"]?.bool == true)
            #expect(document["node_count"]?.int == 1)
            #expect(document["indexed_nodes"]?.int == 1)
            // The embed job marks the document indexed before the queue records the job done.
            var jobs = try await server.jobs(document: id)
            try await eventually("the document's jobs to complete") {
                jobs = try await server.jobs(document: id)
                return jobs.count == 1 && jobs.allSatisfy { $0.state == "completed" }
            }
            #expect(jobs.map(\.kind) == ["context.embed"], "\(jobs)")
        }
    }
}
