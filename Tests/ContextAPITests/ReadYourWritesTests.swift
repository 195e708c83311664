import Foundation
import TestSupport
import Testing

/// What a caller just added is in its very next view and keyword search, before any worker
/// ran: these servers have no worker at all, so nothing is ever embedded behind the test's
/// back and "immediately" cannot be a lucky race.
@Suite(.timeLimit(.minutes(2)))
struct ContextReadYourWrites {
    @Test func theNextViewListsWhatWasJustAddedNotYetIndexed() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser())
            // A body of every field the spec lists.
            let example = try await server.add(token: token, .json([
                "documents": [["content": "This is a sample document content.", "fileName": "sample.txt",
                               "fileType": "text/plain", "fileSize": 1024, "lastModified": "2023-10-11T16:00:00Z"]],
                "source": "manual", "context_type": "resource", "scope": "internal",
                "metadata": ["author": "John Doe"], "chained": false,
            ]))
            let view = try await server.view(token: token)
            let nodes = try #require(view["context"]?.array)
            #expect(view["total"]?.int == 1 && nodes.count == 1, "\(view)")
            #expect(nodes.first?["text"]?.string == "This is a sample document content.")
            #expect(nodes.first?["indexed"]?.bool == false, "listed, not yet indexed: \(nodes)")
            #expect(nodes.first?["corresponding_vector_id"]?.string == "", "no vector yet: \(nodes)")
            ContextAPI.View.expectSpecNode(try #require(nodes.first), "an unembedded node")

            // Three documents in one call: all listed, in view and in view/docs.
            let three = try await server.add(token: token, .json([
                "documents": [["content": "First of three."], ["content": "Second of three."], ["content": "Third of three."]],
                "source": "batch",
            ]))
            let batch = try await server.view(token: token, "?source=batch")
            #expect(Set(batch["context"]?.array?.compactMap { $0["text"]?.string } ?? [])
                    == ["First of three.", "Second of three.", "Third of three."], "\(batch)")
            let docs = try await server.viewDocs(token: token)
            let listed = docs["documents"]?.array ?? []
            #expect(Set(listed.compactMap { $0["id"]?.string }) == Set(example + three), "\(docs)")
            #expect(listed.allSatisfy { $0["state"]?.string == "chunked" && $0["indexed"]?.bool == false && $0["node_count"]?.int == 1 },
                    "\(docs)")
        }
    }

    @Test func theNextSearchFindsJustAddedTextByItsWords() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser())
            try await server.add(token: token, .json([
                "documents": [["content": "The quokka colony on Rottnest Island grew this spring."],
                              ["content": "Unrelated: the office closes at six."]],
                "source": "fresh",
            ]))
            let hits = try await server.searchResults(token: token, "quokka colony")
            #expect(hits.map { $0["contextData"]?.string } == ["The quokka colony on Rottnest Island grew this spring."], "\(hits)")
            #expect(hits.first?["similarity"] == .null, "no embedding yet, so no similarity: \(hits)")
            #expect((hits.first?["score"]?.number ?? 0) > 0, "ranked by its words: \(hits)")
            // A text not yet embedded has no similarity to hold against a threshold: it is found
            // by its words whatever the thresholds say.
            #expect(try await server.searchResults(token: token, "quokka", minimum: 0.9).count == 1)
            // Another user does not find it.
            #expect(try await server.searchResults(token: server.token(TestServer.newUser()), "quokka colony").isEmpty)
        }
    }

    @Test func contextAnAdminAddsForAnotherUserIsInThatUsersNextView() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let admin = server.token(TestServer.newUser("admin"), scopes: ["admin", "context:read", "context:write"])
            let customer = TestServer.newUser("customer")
            let customerToken = server.token(customer)
            let text = "Support ticket: the customer's invoice shows the wrong billing address."
            let ids = try await server.add(token: admin, .json(["documents": [["content": text]], "source": "support", "user_id": customer]))
            let view = try await server.view(token: customerToken)
            #expect(view["context"]?.array?.map { $0["text"]?.string } == [text], "\(view)")
            #expect(view["context"]?[0]?["user_id"]?.string == customer, "\(view)")
            #expect(try await server.viewDocs(token: customerToken)["documents"]?[0]?["id"]?.string == ids[0])
            #expect(try await server.view(token: admin)["total"]?.int == 0, "not the admin's own")
            #expect(try await server.searchResults(token: customerToken, "invoice billing address").count == 1)
            #expect(try await server.searchResults(token: admin, "invoice billing address").isEmpty)
        }
    }
}
