import Foundation
import TestSupport
import Testing

/// `POST delete`: 204, then gone from view, view/docs and search, and from the database.
extension ContextAPI {
    @Suite struct Delete {
        /// Adds one indexed document; its id, its node id and a query that finds it.
        static func indexedDocument(_ server: TestServer, _ token: String, text: String, source: String, fileName: String? = nil)
            async throws -> (document: String, node: String)
        {
            let ids = try await server.addIndexed(token: token, addBody(text, source: source, fileName: fileName))
            let view = try await server.view(token: token, "?source=\(source)")
            let node = try #require(view["context"]?.array?.first { $0["telemetry_data"]?["document_id"]?.string == ids[0] }?["_id"]?.string)
            let found = try await server.searchResults(token: token, text)
            #expect(found.first?["contextId"]?.string == node, "findable before the delete: \(found)")
            return (ids[0], node)
        }

        /// Everything says the document (and node) are gone.
        static func expectGone(_ server: TestServer, _ token: String, document: String, node: String, text: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let view = try await server.view(token: token, "?limit=500")
            #expect(!(view["context"]?.array?.contains { $0["_id"]?.string == node } ?? true), "gone from view", sourceLocation: sourceLocation)
            let found = try await server.searchResults(token: token, text)
            #expect(!found.contains { $0["contextId"]?.string == node }, "gone from search: \(found)", sourceLocation: sourceLocation)
            #expect(!found.contains { $0["documentId"]?.string == document }, "gone from search: \(found)", sourceLocation: sourceLocation)
            let rows = try await server.pool.query("SELECT count(*) AS n FROM context_nodes WHERE id = \(UUID(uuidString: node)!)")
            #expect(try rows.first!.decode("n", as: Int.self) == 0, "the node (and its vector) is deleted", sourceLocation: sourceLocation)
        }

        @Test func byDocWithASourceDeletesEveryDocumentOfThatSource() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let source = "src-\(UUID().uuidString.prefix(8))"
            let a = try await Self.indexedDocument(server, token, text: "Bicycle maintenance: oil the chain every month.", source: source)
            let b = try await Self.indexedDocument(server, token, text: "Bicycle maintenance: check tyre pressure weekly.", source: source)
            let keep = try await Self.indexedDocument(server, token, text: "Bicycle maintenance: replace brake pads yearly.", source: source + "-other")

            let answer = try await server.contextPost("delete", token: token, .json(["source": source, "by_doc": true, "by_id": false]))
            #expect(answer.status == 204, "\(answer)")
            try await Self.expectGone(server, token, document: a.document, node: a.node, text: "oil the chain every month")
            try await Self.expectGone(server, token, document: b.document, node: b.node, text: "check tyre pressure weekly")
            #expect(try await server.view(token: token, "?source=\(source)")["total"]?.int == 0)
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 1 && docs["documents"]?[0]?["id"]?.string == keep.document, "only the other source remains: \(docs)")
            #expect(try await server.searchResults(token: token, "replace brake pads yearly").first?["contextId"]?.string == keep.node)
        }

        @Test func byDocWithAFileNameDeletesThatFile() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let fileName = "recipe-\(UUID().uuidString.prefix(8)).md"
            let gone = try await Self.indexedDocument(server, token, text: "Pancakes: whisk flour, milk and eggs into a smooth batter.", source: "cookbook", fileName: fileName)
            let kept = try await Self.indexedDocument(server, token, text: "Omelette: beat three eggs with a pinch of salt.", source: "cookbook", fileName: "omelette.md")
            let answer = try await server.contextPost("delete", token: token, .json(["source": fileName, "by_doc": true, "by_id": false]))
            #expect(answer.status == 204, "\(answer)")
            try await Self.expectGone(server, token, document: gone.document, node: gone.node, text: "whisk flour milk and eggs")
            #expect(try await server.documentExists(kept.document))
            #expect(try await server.viewDocs(token: token)["total"]?.int == 1)
        }

        @Test func byIDWithADocumentIDDeletesTheDocumentAndAllItsNodes() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let source = "byid-\(UUID().uuidString.prefix(8))"
            let long = Indexing.longDocument(source)
            let ids = try await server.addIndexed(token: token, .json(["documents": [["content": long]], "source": source]))
            #expect(try await server.nodeCount(document: ids[0]) >= 4)
            let other = try await Self.indexedDocument(server, token, text: "Unrelated: the train leaves platform nine at noon.", source: source)
            for id in [ids[0], ids[0].uppercased()] {
                let answer = try await server.contextPost("delete", token: token, .json(["source": id, "by_doc": false, "by_id": true]))
                #expect(answer.status == 204, "\(answer)")
            }
            #expect(!(try await server.documentExists(ids[0])))
            #expect(try await server.nodeCount(document: ids[0]) == 0)
            let view = try await server.view(token: token, "?limit=500")
            #expect(view["total"]?.int == 1 && view["context"]?[0]?["_id"]?.string == other.node, "only the other document's node: \(view)")
            let found = try await server.searchResults(token: token, "glaciers shape the land in slow and patient ways")
            #expect(!found.contains { $0["documentId"]?.string == ids[0] }, "\(found)")
            #expect(try await server.viewDocs(token: token)["total"]?.int == 1)
        }

        @Test func byIDWithANodeIDDeletesThatNodeOnly() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let source = "node-\(UUID().uuidString.prefix(8))"
            let ids = try await server.addIndexed(token: token, .json(["documents": [["content": Indexing.longDocument(source)]], "source": source]))
            let nodes = try await Indexing.nodes(server, token, source: source)
            let victim = try #require(nodes.last)
            let victimID = try #require(victim["_id"]?.string)
            let victimText = try #require(victim["text"]?.string)
            let found = try await server.searchResults(token: token, victimText)
            #expect(found.first?["contextId"]?.string == victimID, "findable before: \(found.first ?? .null)")

            let answer = try await server.contextPost("delete", token: token, .json(["source": victimID, "by_id": true]))
            #expect(answer.status == 204, "\(answer)")
            try await Self.expectGone(server, token, document: "", node: victimID, text: victimText)
            let after = try await Indexing.nodes(server, token, source: source)
            #expect(after.count == nodes.count - 1)
            #expect(Set(after.compactMap { $0["_id"]?.string }) == Set(nodes.dropLast().compactMap { $0["_id"]?.string }))
            #expect(try await server.documentExists(ids[0]), "the document and its other nodes stay")
        }

        @Test func deletingWhatDoesNotExistIs204() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for body: [String: Any] in [
                ["source": "never-added"],
                ["source": UUID().uuidString, "by_id": true],
                ["source": "never-added", "by_doc": true, "by_id": false],
            ] {
                #expect(try await server.contextPost("delete", token: token, .json(body)).status == 204, "\(body)")
            }
        }

        @Test func deletingAnOrganizationsDocumentNeedsTheOrganization() async throws {
            let server = try TestServer.shared
            let org = Tenancy.newOrg()
            let alice = server.token(TestServer.newUser("alice"), org: org)
            let bob = server.token(TestServer.newUser("bob"), org: org)
            let ids = try await server.addIndexed(token: alice, .json(["documents": [["content": "Org calendar: the offsite is in March."]],
                                                                       "source": "calendar", "organization_id": org]))
            // Without organization_id the delete is about Bob's private context: nothing of the org's.
            #expect(try await server.contextPost("delete", token: bob, .json(["source": "calendar"])).status == 204)
            #expect(try await server.documentExists(ids[0]))
            // With it, a member deletes the shared document (docs/context-api.md).
            #expect(try await server.contextPost("delete", token: bob, .json(["source": "calendar", "organization_id": org])).status == 204)
            #expect(!(try await server.documentExists(ids[0])))
            #expect(try await server.viewDocs(token: alice)["total"]?.int == 0)
        }
    }
}

/// Deleting before the workers got to a document: its pending jobs are cancelled. This needs
/// an API with no worker, so the jobs stay pending: a server of its own.
@Suite(.timeLimit(.minutes(2)))
struct ContextDeleteBeforeIndexing {
    @Test func deletingBeforeIndexingCancelsThePendingJobs() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser())
            let ids = try await server.add(token: token, .json([
                "documents": [["content": "Never indexed: deleted first.", "fileName": "early.txt"],
                              ["content": "Never indexed either.", "fileName": "early-2.txt"],
                              ["content": "This one stays pending.", "fileName": "late.txt"]],
                "source": "early",
            ]))
            for id in ids {
                let jobs = try await server.jobs(document: id)
                #expect(jobs.map(\.kind) == ["context.embed"] && jobs.allSatisfy { $0.state == "available" }, "\(id): \(jobs)")
            }
            // One by file name, one by id; the third stays.
            #expect(try await server.contextPost("delete", token: token, .json(["source": "early.txt"])).status == 204)
            #expect(try await server.contextPost("delete", token: token, .json(["source": ids[1], "by_id": true])).status == 204)
            for id in ids.prefix(2) {
                let jobs = try await server.jobs(document: id)
                #expect(!jobs.contains { $0.state == "available" || $0.state == "running" }, "no live context jobs left for \(id): \(jobs)")
                #expect(jobs.allSatisfy { $0.state == "cancelled" }, "\(jobs)")
                #expect(!(try await server.documentExists(id)))
            }
            let kept = try await server.jobs(document: ids[2])
            #expect(kept.map(\.state) == ["available"], "the other document's job is untouched: \(kept)")
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 1)
            #expect(docs["documents"]?[0]?["state"]?.string == "chunked")
            #expect(docs["documents"]?[0]?["indexed"]?.bool == false)
            // Chunked but never embedded: found by its words, with no similarity.
            let hits = try await server.searchResults(token: token, "stays pending")
            #expect(hits.map { $0["contextData"]?.string } == ["This one stays pending."], "\(hits)")
            #expect(hits.first?["similarity"] == .null, "\(hits)")
            let view = try await server.view(token: token)
            #expect(view["total"]?.int == 1, "the unembedded node is listed: \(view)")
            #expect(view["context"]?[0]?["indexed"]?.bool == false, "\(view)")
        }
    }
}
