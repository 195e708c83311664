import Foundation
import TestSupport
import Testing

/// `GET view` and `GET view/docs`: every field the spec lists, with its JSON type; pagination.
extension ContextAPI {
    @Suite struct View {
        static func isISO8601(_ text: String?) -> Bool {
            guard let text else { return false }
            let withFraction = ISO8601DateFormatter()
            withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return withFraction.date(from: text) != nil || ISO8601DateFormatter().date(from: text) != nil
        }

        /// Checks one node against the spec's `view` response format, key by key.
        static func expectSpecNode(_ node: JSON, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
            func expect(_ key: String, _ allowed: Set<String>, in object: JSON = node, _ prefix: String = "") {
                let value = object[key]
                #expect(value != nil, "\(label): \(prefix)\(key) is missing", sourceLocation: sourceLocation)
                if let value {
                    #expect(allowed.contains(value.kind), "\(label): \(prefix)\(key) is a \(value.kind) (\(value)), the spec says \(allowed.sorted())",
                            sourceLocation: sourceLocation)
                }
            }
            func expectStrings(_ key: String, in object: JSON = node, _ prefix: String = "") {
                expect(key, ["array"], in: object, prefix)
                #expect(object[key]?.array?.allSatisfy { $0.string != nil } != false, "\(label): \(prefix)\(key) holds strings", sourceLocation: sourceLocation)
            }
            expect("_id", ["string"])
            expect("user_id", ["string"])
            expect("organization_id", ["string", "null"])
            expectStrings("parent_context_nodes")
            expectStrings("children_context_nodes")
            expect("context_type", ["string"])
            expectStrings("tags")
            expect("source", ["string"])
            expect("content", ["object", "string"])
            expect("blob", ["null", "string", "number", "boolean", "array", "object"])
            expect("indexed", ["boolean"])
            expect("indexable", ["boolean"])
            expect("governing_policies", ["string", "array", "null"])
            expect("override_policy", ["boolean"])
            expect("telemetry_data", ["object"])
            expect("createdAt", ["string"])
            expect("updatedAt", ["string"])
            #expect(isISO8601(node["createdAt"]?.string), "\(label): createdAt is ISO 8601: \(node["createdAt"] ?? .null)", sourceLocation: sourceLocation)
            #expect(isISO8601(node["updatedAt"]?.string), "\(label): updatedAt is ISO 8601: \(node["updatedAt"] ?? .null)", sourceLocation: sourceLocation)
            expectStrings("scopes")
            expect("metadata", ["object"])
            if let metadata = node["metadata"] {
                expect("size", ["number"], in: metadata, "metadata.")
                expect("file_name", ["string"], in: metadata, "metadata.")
                expect("doc_type", ["string"], in: metadata, "metadata.")
                expectStrings("modalities", in: metadata, "metadata.")
            }
            expect("corresponding_vector_id", ["string"])
            expect("text", ["string"])
            expect("score", ["number"])
        }

        @Test func viewReturnsEveryFieldTheSpecListsWithItsType() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let text = "Every field of a context node, checked one by one."
            let ids = try await server.addIndexed(token: token, .json([
                "documents": [["content": text, "fileName": "fields.md", "fileType": "text/markdown", "fileSize": 51, "lastModified": "2024-01-02T03:04:05Z"]],
                "source": "fields", "context_type": "instruction", "scope": "external", "metadata": ["team": "qa"],
            ]))
            let view = try await server.view(token: token)
            #expect(view.object?.keys.contains("context") == true)
            let nodes = try #require(view["context"]?.array)
            #expect(nodes.count == 1)
            let node = try #require(nodes.first)
            Self.expectSpecNode(node, "node")
            // And the values are the right ones.
            #expect(node["user_id"]?.string == user)
            #expect(node["organization_id"]?.isNull == true)
            #expect(node["context_type"]?.string == "instruction")
            #expect(node["source"]?.string == "fields")
            #expect(node["text"]?.string == text)
            #expect(node["content"]?.string == text || node["content"]?.object != nil)
            #expect(node["indexed"]?.bool == true)
            #expect(node["scopes"]?.array?.compactMap(\.string).contains("external") == true, "\(node["scopes"] ?? .null)")
            #expect(node["metadata"]?["file_name"]?.string == "fields.md")
            #expect(node["metadata"]?["doc_type"]?.string == "text/markdown")
            #expect(node["metadata"]?["size"]?.number == 51)
            #expect(node["metadata"]?["team"]?.string == "qa", "the document's own metadata is kept")
            #expect(node["telemetry_data"]?["document_id"]?.string == ids[0])
            #expect(node["corresponding_vector_id"]?.string?.isEmpty == false, "an indexed node has a vector id")
        }

        @Test func viewOfTheSpecsOwnAddExampleStillHasTheSpecsTypes() async throws {
            // The spec's add example sends metadata whose values are all strings, e.g.
            // "size": "Size of file" and "modalities": "['text', 'image']"; the spec's view
            // format says metadata.size is a number and metadata.modalities an array of strings.
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let answer = try await server.contextPost("add", token: token, .text(Endpoints.specAddExample))
            let id = try #require(answer.json?["documents"]?[0]?["id"]?.string, "\(answer)")
            try await server.waitIndexed([id])
            let node = try #require(try await server.view(token: token)["context"]?.array?.first)
            Self.expectSpecNode(node, "the spec example's node")
        }

        @Test func viewOfADocumentWithoutFileDetailsStillHasTheSpecsTypes() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, .json(["documents": [["content": "No file name, no type, no metadata."]]]))
            let node = try #require(try await server.view(token: token)["context"]?.array?.first)
            Self.expectSpecNode(node, "a bare document's node")
        }

        @Test func viewPaginatesWithLimitOffsetAndTotal() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let texts = (1...7).map { "Page test note \($0): the number \($0) is written here." }
            try await server.addIndexed(token: token, .json(["documents": texts.map { ["content": $0] }, "source": "pages"]))

            let all = try await server.view(token: token)
            #expect(all["total"]?.int == 7)
            #expect(all["context"]?.array?.count == 7)
            var seen = [String]()
            for offset in stride(from: 0, to: 9, by: 3) {
                let page = try await server.view(token: token, "?limit=3&offset=\(offset)")
                #expect(page["total"]?.int == 7, "total is the whole count on every page")
                let ids = page["context"]?.array?.compactMap { $0["_id"]?.string } ?? []
                #expect(ids.count == min(3, max(0, 7 - offset)), "page at \(offset): \(ids.count)")
                seen += ids
            }
            #expect(seen.count == 7 && Set(seen).count == 7, "pages neither overlap nor miss: \(seen)")
            #expect(Set(seen) == Set(all["context"]?.array?.compactMap { $0["_id"]?.string } ?? []))
            let beyond = try await server.view(token: token, "?limit=3&offset=50")
            #expect(beyond["context"]?.array?.isEmpty == true && beyond["total"]?.int == 7)
            let skip = try await server.view(token: token, "?limit=2&skip=2")
            #expect(skip["context"]?.array?.compactMap { $0["_id"]?.string } == Array(seen[2..<4]), "skip is offset")
        }

        @Test func viewDocsListsDocumentsWithTheirStateAndPaginates() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let ids = try await server.addIndexed(token: token, .json([
                "documents": (1...5).map { ["content": "Document listing \($0).", "fileName": "doc-\($0).txt", "fileType": "text/plain", "fileSize": $0 * 10] },
                "source": "listing", "metadata": ["project": "atlas"],
            ]))
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 5)
            let documents = try #require(docs["documents"]?.array)
            #expect(Set(documents.compactMap { $0["id"]?.string }) == Set(ids))
            for document in documents {
                #expect(document["user_id"]?.string == user)
                #expect(document["source"]?.string == "listing")
                #expect(document["state"]?.string == "indexed")
                #expect(document["indexed"]?.bool == true)
                #expect(document["fileName"]?.string?.hasPrefix("doc-") == true)
                #expect(document["metadata"]?["project"]?.string == "atlas")
                #expect(Self.isISO8601(document["createdAt"]?.string))
            }
            var seen = [String]()
            for offset in [0, 2, 4] {
                let page = try await server.viewDocs(token: token, "?limit=2&offset=\(offset)")
                #expect(page["total"]?.int == 5)
                seen += page["documents"]?.array?.compactMap { $0["id"]?.string } ?? []
            }
            #expect(seen.count == 5 && Set(seen) == Set(ids), "\(seen)")
        }

        @Test func viewFiltersBySource() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            try await server.addIndexed(token: token, .json(["documents": [["content": "From source one."]], "source": "one"]))
            try await server.addIndexed(token: token, .json(["documents": [["content": "From source two."], ["content": "Also from two."]], "source": "two"]))
            #expect(try await server.view(token: token, "?source=one")["total"]?.int == 1)
            #expect(try await server.view(token: token, "?source=two")["total"]?.int == 2)
            #expect(try await server.view(token: token, "?source=three")["total"]?.int == 0)
            #expect(try await server.view(token: token)["total"]?.int == 3)
        }

        @Test func viewAndViewDocsAreEmptyForANewUser() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let view = try await server.view(token: token)
            #expect(view["context"] == .array([]) && view["total"]?.int == 0, "\(view)")
            let docs = try await server.viewDocs(token: token)
            #expect(docs["documents"] == .array([]) && docs["total"]?.int == 0, "\(docs)")
        }
    }
}
