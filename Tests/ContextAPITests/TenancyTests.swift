import Foundation
import TestSupport
import Testing

/// Private context stays with its user; context added with the caller's organization is
/// shared with that organization only; a body naming someone else is refused unless admin.
extension ContextAPI {
    @Suite struct Tenancy {
        static func newOrg() -> String { TestServer.newUser("org") }

        /// Ids of the nodes `view` shows this token (up to 500).
        static func viewedNodeIDs(_ server: TestServer, _ token: String) async throws -> Set<String> {
            let view = try await server.view(token: token, "?limit=500")
            return Set(view["context"]?.array?.compactMap { $0["_id"]?.string } ?? [])
        }

        static func viewedDocumentIDs(_ server: TestServer, _ token: String) async throws -> (ids: Set<String>, total: Int?) {
            let docs = try await server.viewDocs(token: token, "?limit=500")
            return (Set(docs["documents"]?.array?.compactMap { $0["id"]?.string } ?? []), docs["total"]?.int)
        }

        @Test func privateContextIsNeverShownCountedFoundOrDeletedForAnotherUser() async throws {
            let server = try TestServer.shared
            let org = Self.newOrg()
            let alice = server.token(TestServer.newUser("alice"), org: org)
            // Bob is in Alice's organization, Carol in none: neither sees Alice's private context.
            let bob = server.token(TestServer.newUser("bob"), org: org)
            let carol = server.token(TestServer.newUser("carol"))
            let text = "Alice's private diary: the spare key is hidden under the blue flowerpot."
            let source = "diary-\(UUID().uuidString.prefix(8))"
            let ids = try await server.addIndexed(token: alice, addBody(text, source: source, fileName: "diary.txt"))
            let documentID = ids[0]

            let aliceView = try await server.view(token: alice)
            let nodeID = try #require(aliceView["context"]?.array?.first?["_id"]?.string)
            #expect(aliceView["context"]?.array?.first?["organization_id"]?.isNull == true, "added without organization_id: private")
            #expect(try await server.searchResults(token: alice, "where is the spare key hidden").first?["contextId"]?.string == nodeID)

            for (name, other) in [("bob", bob), ("carol", carol)] {
                let view = try await server.view(token: other)
                #expect(view["context"]?.array?.isEmpty == true, "\(name) sees none of it: \(view)")
                #expect(view["total"]?.int == 0, "\(name)'s view counts none of it")
                let docs = try await Self.viewedDocumentIDs(server, other)
                #expect(docs.ids.isEmpty && docs.total == 0, "\(name)'s view/docs neither lists nor counts it: \(docs)")
                #expect(try await server.view(token: other, "?source=\(source)")["total"]?.int == 0)
                let found = try await server.searchResults(token: other, text)
                #expect(found.isEmpty, "\(name) does not find it: \(found)")
                let foundWithOrg = try await server.searchResults(token: other, text, extra: name == "bob" ? ["organization_id": org] : [:])
                #expect(foundWithOrg.isEmpty, "\(name) does not find it: \(foundWithOrg)")

                // Every way of deleting it, from the other user, leaves it alone.
                for body: [String: Any] in [
                    ["source": source, "by_doc": true, "by_id": false],
                    ["source": "diary.txt", "by_doc": true, "by_id": false],
                    ["source": documentID, "by_id": true],
                    ["source": nodeID, "by_id": true],
                    ["source": documentID.uppercased(), "by_id": true],
                ] {
                    let answer = try await server.contextPost("delete", token: other, .json(body))
                    #expect([204, 403, 404].contains(answer.status), "\(name) delete \(body): \(answer)")
                }
                if name == "bob" {
                    for body: [String: Any] in [
                        ["source": source, "organization_id": org],
                        ["source": documentID, "by_id": true, "organization_id": org],
                        ["source": nodeID, "by_id": true, "organization_id": org],
                    ] {
                        let answer = try await server.contextPost("delete", token: other, .json(body))
                        #expect([204, 403, 404].contains(answer.status), "bob delete \(body): \(answer)")
                    }
                }
            }
            #expect(try await server.documentExists(documentID), "Alice's document survived every delete by others")
            #expect(try await server.nodeCount(document: documentID) == 1)
            #expect(try await Self.viewedNodeIDs(server, alice) == [nodeID])
            #expect(try await server.searchResults(token: alice, "where is the spare key hidden").first?["contextId"]?.string == nodeID)
        }

        @Test func contextAddedWithTheCallersOrganizationIsSharedWithThatOrganizationOnly() async throws {
            let server = try TestServer.shared
            let org = Self.newOrg()
            let otherOrg = Self.newOrg()
            let alice = server.token(TestServer.newUser("alice"), org: org)
            let bob = server.token(TestServer.newUser("bob"), org: org)
            let carol = server.token(TestServer.newUser("carol"), org: otherOrg)
            let dave = server.token(TestServer.newUser("dave"))
            let text = "Team handbook: production deploys happen on Tuesdays after the change review."
            let ids = try await server.addIndexed(token: alice, .json([
                "documents": [["content": text]], "source": "handbook", "organization_id": org,
            ]))

            // Alice and Bob, members of the organization, see it in view and view/docs...
            for (name, member) in [("alice", alice), ("bob", bob)] {
                let view = try await server.view(token: member)
                let node = view["context"]?.array?.first
                #expect(node?["text"]?.string == text, "\(name) views it: \(view)")
                #expect(node?["organization_id"]?.string == org)
                #expect(view["total"]?.int == 1)
                let docs = try await Self.viewedDocumentIDs(server, member)
                #expect(docs.ids == Set(ids) && docs.total == 1, "\(name)'s view/docs: \(docs)")
            }
            // ...and find it by searching, without having to name the organization (the caller
            // is in the token's organization, DESIGN.md "Tenancy").
            let bobFinds = try await server.searchResults(token: bob, "when do we deploy to production")
            #expect(bobFinds.first?["contextData"]?.string == text, "bob's search includes the organization's context: \(bobFinds)")
            let aliceFinds = try await server.searchResults(token: alice, "when do we deploy to production")
            #expect(aliceFinds.first?["contextData"]?.string == text, "alice's search includes the organization's context: \(aliceFinds)")
            // Naming their own organization explicitly works too.
            let bobNamed = try await server.searchResults(token: bob, "when do we deploy to production", extra: ["organization_id": org])
            #expect(bobNamed.first?["contextData"]?.string == text, "\(bobNamed)")

            // Carol (another organization) and Dave (none) neither see, count nor find it.
            for (name, outsider) in [("carol", carol), ("dave", dave)] {
                let view = try await server.view(token: outsider)
                #expect(view["context"]?.array?.isEmpty == true && view["total"]?.int == 0, "\(name): \(view)")
                let docs = try await Self.viewedDocumentIDs(server, outsider)
                #expect(docs.ids.isEmpty && docs.total == 0, "\(name): \(docs)")
                #expect(try await server.searchResults(token: outsider, text).isEmpty, "\(name) does not find it")
                // Asking for the organization explicitly is refused.
                expectContextError(try await server.search(token: outsider, text, extra: ["organization_id": org]), 403, "\(name) searching \(org)")
                expectContextError(try await server.contextPost("delete", token: outsider, .json(["source": "handbook", "organization_id": org])), 403,
                                   "\(name) deleting in \(org)")
                let deleted = try await server.contextPost("delete", token: outsider, .json(["source": "handbook"]))
                #expect(deleted.status == 204)
            }
            #expect(try await server.documentExists(ids[0]))
        }

        @Test func aBodyNamingAnotherUserOrOrganizationIs403() async throws {
            let server = try TestServer.shared
            let org = Self.newOrg()
            let me = TestServer.newUser()
            let someoneElse = TestServer.newUser("victim")
            let token = server.token(me, org: org)
            let noOrg = server.token(TestServer.newUser())
            let document = ["documents": [["content": "Planted context."]], "source": "planted"] as [String: Any]
            let cases: [(String, String, [String: Any])] = [
                ("add", "user_id", document.merging(["user_id": someoneElse]) { $1 }),
                ("add", "organization_id", document.merging(["organization_id": Self.newOrg()]) { $1 }),
                ("search", "user_id", ["query": "x", "similarity_threshold": 1, "minimum_similarity_threshold": 0, "user_id": someoneElse]),
                ("search", "organization_id", ["query": "x", "similarity_threshold": 1, "minimum_similarity_threshold": 0, "organization_id": Self.newOrg()]),
                ("delete", "user_id", ["source": "planted", "user_id": someoneElse]),
                ("delete", "organization_id", ["source": "planted", "organization_id": Self.newOrg()]),
            ]
            for (endpoint, field, body) in cases {
                expectContextError(try await server.contextPost(endpoint, token: token, .json(body)), 403, "\(endpoint) with another \(field)")
            }
            // A caller without an organization cannot claim one.
            expectContextError(try await server.contextPost("add", token: noOrg, .json(document.merging(["organization_id": org]) { $1 })), 403,
                               "add with an organization the caller is not in")
            // The victim has nothing.
            let victimDocs = try await server.viewDocs(token: server.token(someoneElse))
            #expect(victimDocs["total"]?.int == 0, "\(victimDocs)")

            // Naming oneself, or one's own organization, is fine.
            #expect(try await server.contextPost("add", token: token, .json(document.merging(["user_id": me]) { $1 })).status == 201)
            #expect(try await server.contextPost("add", token: token, .json(document.merging(["user_id": me, "organization_id": org]) { $1 })).status == 201)
            #expect(try await server.search(token: token, "x", extra: ["user_id": me]).status == 202)
            #expect(try await server.contextPost("delete", token: token, .json(["source": "nothing", "user_id": me])).status == 204)
        }

        @Test func theAdminScopeMayActForAnotherUser() async throws {
            let server = try TestServer.shared
            let admin = server.token(TestServer.newUser("admin"), scopes: ["admin", "context:read", "context:write"])
            let customer = TestServer.newUser("customer")
            let customerToken = server.token(customer)
            let text = "Support ticket: the customer's invoice shows the wrong billing address."
            let ids = try await server.addIndexed(token: admin, .json([
                "documents": [["content": text]], "source": "support", "user_id": customer,
            ]))
            // It belongs to the customer, not to the admin.
            let docs = try await server.viewDocs(token: customerToken)
            #expect(docs["documents"]?.array?.first?["id"]?.string == ids[0], "\(docs)")
            #expect(docs["documents"]?.array?.first?["user_id"]?.string == customer)
            #expect(try await server.viewDocs(token: admin)["total"]?.int == 0)
            // The admin can search and delete in the customer's name.
            let found = try await server.searchResults(token: admin, text, extra: ["user_id": customer])
            #expect(found.first?["contextData"]?.string == text, "\(found)")
            #expect(try await server.contextPost("delete", token: admin, .json(["source": "support", "user_id": customer])).status == 204)
            #expect(!(try await server.documentExists(ids[0])))
            // Organization ids too.
            let org = Self.newOrg()
            let answer = try await server.contextPost("add", token: admin, .json(["documents": [["content": "Org note."]], "user_id": customer, "organization_id": org]))
            #expect(answer.status == 201, "\(answer)")
        }

        @Test func aPrivateDocumentAndAnOrganizationDocumentAreKeptApart() async throws {
            let server = try TestServer.shared
            let org = Self.newOrg()
            let aliceID = TestServer.newUser("alice")
            let alice = server.token(aliceID, org: org)
            let bob = server.token(TestServer.newUser("bob"), org: org)
            let shared = try await server.addIndexed(token: alice, .json(["documents": [["content": "Shared: the office closes at six."]], "organization_id": org, "source": "s"]))
            let mine = try await server.addIndexed(token: alice, .json(["documents": [["content": "Mine: my dentist appointment is on Friday."]], "source": "s"]))
            let aliceDocs = try await Self.viewedDocumentIDs(server, alice)
            #expect(aliceDocs.ids == Set(shared + mine) && aliceDocs.total == 2, "alice sees both: \(aliceDocs)")
            let bobDocs = try await Self.viewedDocumentIDs(server, bob)
            #expect(bobDocs.ids == Set(shared) && bobDocs.total == 1, "bob sees only the shared one: \(bobDocs)")
            let bobFinds = try await server.searchResults(token: bob, "dentist appointment", extra: ["organization_id": org])
            #expect(!bobFinds.contains { $0["contextData"]?.string?.hasPrefix("Mine") == true }, "\(bobFinds)")
        }
    }
}
