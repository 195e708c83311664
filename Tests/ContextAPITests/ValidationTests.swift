import Foundation
import TestSupport
import Testing

/// Every malformed request answers 400 (413 when too large) with exactly
/// `{"response": string, "error": string}`, and stores nothing.
extension ContextAPI {
    @Suite struct Validation {
        /// Bodies no endpoint can read.
        static let unreadableBodies: [(String, RequestBody)] = [
            ("malformed JSON", .text(#"{"documents": [{"content": "x"}"#)),
            ("trailing garbage", .text(#"{"query": "x"} extra"#)),
            ("invalid UTF-8", .raw(Data([0x7B, 0x22, 0x71, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC3, 0x28, 0x22, 0x7D]))),
            ("a lone continuation byte", .raw(Data(#"{"source": ""#.utf8) + Data([0x80]) + Data(#""}"#.utf8))),
            ("an array", .text(#"[{"content": "x"}]"#)),
            ("a string", .text(#""documents""#)),
            ("a number", .text("42")),
            ("null", .text("null")),
            ("true", .text("true")),
            ("empty", .none),
            ("empty bytes", .raw(Data())),
            ("whitespace", .text("   \n ")),
        ]

        @Test func unreadableBodiesAre400OnEveryPostEndpoint() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for endpoint in ["add", "search", "delete"] {
                for (label, body) in Self.unreadableBodies {
                    expectContextError(try await server.contextPost(endpoint, token: token, body), 400, "\(endpoint) with \(label)")
                }
            }
        }

        @Test func invalidAddBodiesAre400AndStoreNothing() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let valid: [String: Any] = ["documents": [["content": "A valid document."]], "source": "validation"]
            func with(_ changes: [String: Any]) -> [String: Any] { valid.merging(changes) { $1 } }
            func without(_ key: String) -> [String: Any] { var body = valid; body[key] = nil; return body }
            let cases: [(String, [String: Any])] = [
                ("no documents", without("documents")),
                ("documents null", with(["documents": NSNull()])),
                ("empty documents", with(["documents": [Any]()])),
                ("documents an object", with(["documents": ["content": "x"]])),
                ("documents a string", with(["documents": "x"])),
                ("a document that is a string", with(["documents": ["just text"]])),
                ("a document that is a number", with(["documents": [1]])),
                ("a document that is null", with(["documents": [NSNull()]])),
                ("a document without content", with(["documents": [["fileName": "a.txt"]]])),
                ("a document with empty content", with(["documents": [["content": ""]]])),
                ("a document with blank content", with(["documents": [["content": "  \n\t "]]])),
                ("a document with numeric content", with(["documents": [["content": 5]]])),
                ("a document with object content", with(["documents": [["content": ["text": "x"]]]])),
                ("the second document bad", with(["documents": [["content": "fine"], ["content": 7]]])),
                ("fileName a number", with(["documents": [["content": "x", "fileName": 3]]])),
                ("fileSize a string", with(["documents": [["content": "x", "fileSize": "big"]]])),
                ("fileSize negative", with(["documents": [["content": "x", "fileSize": -1]]])),
                ("chained 3", with(["chained": 3])),
                ("chained \"maybe\"", with(["chained": "maybe"])),
                ("chained an array", with(["chained": [true]])),
                ("metadata \"x\"", with(["metadata": "x"])),
                ("metadata an array", with(["metadata": ["a"]])),
                ("metadata a number", with(["metadata": 1])),
                ("scope 5", with(["scope": 5])),
                ("scope \"public\"", with(["scope": "public"])),
                ("scope \"Internal\"", with(["scope": "Internal"])),
                ("context_type \"blog\"", with(["context_type": "blog"])),
                ("context_type 1", with(["context_type": 1])),
                ("context_type \"\"", with(["context_type": ""])),
                ("source a number", with(["source": 12])),
                ("source an object", with(["source": ["a": 1]])),
                ("user_id a number", with(["user_id": 7])),
                ("organization_id an array", with(["organization_id": ["o"]])),
            ]
            for (label, body) in cases {
                expectContextError(try await server.contextPost("add", token: token, .json(body)), 400, "add with \(label)")
            }
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 0, "rejected adds stored nothing: \(docs)")
            #expect(docs["documents"]?.array?.isEmpty == true)
        }

        @Test func invalidSearchBodiesAre400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let valid: [String: Any] = ["query": "anything", "similarity_threshold": 0.8, "minimum_similarity_threshold": 0.5]
            func with(_ changes: [String: Any]) -> [String: Any] { valid.merging(changes) { $1 } }
            func without(_ key: String) -> [String: Any] { var body = valid; body[key] = nil; return body }
            let cases: [(String, [String: Any])] = [
                ("no query", without("query")),
                ("query null", with(["query": NSNull()])),
                ("empty query", with(["query": ""])),
                ("blank query", with(["query": "   "])),
                ("numeric query", with(["query": 3])),
                ("array query", with(["query": ["a"]])),
                ("no similarity_threshold", without("similarity_threshold")),
                ("no minimum_similarity_threshold", without("minimum_similarity_threshold")),
                ("no thresholds", ["query": "anything"]),
                ("similarity_threshold null", with(["similarity_threshold": NSNull()])),
                ("similarity_threshold above 1", with(["similarity_threshold": 1.5])),
                ("similarity_threshold below 0", with(["similarity_threshold": -0.1, "minimum_similarity_threshold": -0.2])),
                ("minimum_similarity_threshold below 0", with(["minimum_similarity_threshold": -0.5])),
                ("minimum_similarity_threshold above 1", with(["minimum_similarity_threshold": 2, "similarity_threshold": 3])),
                ("similarity_threshold a string", with(["similarity_threshold": "0.8"])),
                ("minimum_similarity_threshold a boolean", with(["minimum_similarity_threshold": false])),
                ("max below min", with(["similarity_threshold": 0.4, "minimum_similarity_threshold": 0.6])),
                ("scope 5", with(["scope": 5])),
                ("scope \"everywhere\"", with(["scope": "everywhere"])),
                ("metadata \"x\"", with(["metadata": "x"])),
                ("metadata an array", with(["metadata": [1]])),
                ("limit 0", with(["limit": 0])),
                ("limit negative", with(["limit": -3])),
                ("limit fractional", with(["limit": 2.5])),
                ("limit a string", with(["limit": "10"])),
                ("limit too large", with(["limit": 1_000_000])),
                ("user_id a number", with(["user_id": 1])),
            ]
            for (label, body) in cases {
                expectContextError(try await server.contextPost("search", token: token, .json(body)), 400, "search with \(label)")
            }
            // The edges themselves are fine.
            #expect(try await server.search(token: token, "edges", minimum: 0, maximum: 0).status == 202)
            #expect(try await server.search(token: token, "edges", minimum: 1, maximum: 1).status == 202)
            #expect(try await server.search(token: token, "edges", minimum: 0, maximum: 1).status == 202)
        }

        @Test func invalidDeleteBodiesAre400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let cases: [(String, [String: Any])] = [
                ("nothing to delete", [:]),
                ("no source", ["by_doc": true, "by_id": false]),
                ("empty source", ["source": "", "by_doc": true]),
                ("numeric source", ["source": 5, "by_doc": true]),
                ("by_doc a number", ["source": "s", "by_doc": 1]),
                ("by_doc \"yes\"", ["source": "s", "by_doc": "yes"]),
                ("by_id an object", ["source": "s", "by_id": ["a": 1]]),
                ("by_id with a source that is no id", ["source": "file Name", "by_doc": false, "by_id": true]),
                ("neither by_doc nor by_id", ["source": "s", "by_doc": false, "by_id": false]),
                ("organization_id a number", ["source": "s", "organization_id": 3]),
            ]
            for (label, body) in cases {
                expectContextError(try await server.contextPost("delete", token: token, .json(body)), 400, "delete with \(label)")
            }
        }

        @Test func badPaginationIs400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            for endpoint in ["view", "view/docs"] {
                for query in ["limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=100000", "limit=", "offset=-1", "offset=x", "skip=-2"] {
                    expectContextError(try await server.contextGet("\(endpoint)?\(query)", token: token), 400, "\(endpoint)?\(query)")
                }
                // And the good ones work.
                for query in ["limit=1", "limit=500", "offset=0", "offset=1000", "limit=5&offset=5"] {
                    #expect(try await server.contextGet("\(endpoint)?\(query)", token: token).status == 200, "\(endpoint)?\(query)")
                }
            }
        }

        @Test func bodiesOverTenMiBAre413() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let big = String(repeating: "word ", count: (10 * 1024 * 1024) / 5 + 1024)
            let body = RequestBody.text(#"{"documents": [{"content": "\#(big)"}], "source": "too-big"}"#)
            expectContextError(try await server.contextPost("add", token: token, body), 413, "add of more than 10 MiB")
            let searchBody = RequestBody.text(#"{"query": "\#(big)", "similarity_threshold": 1, "minimum_similarity_threshold": 0}"#)
            expectContextError(try await server.contextPost("search", token: token, searchBody), 413, "search of more than 10 MiB")
            let docs = try await server.viewDocs(token: token)
            #expect(docs["total"]?.int == 0, "nothing stored: \(docs)")
            // The server still answers afterwards.
            #expect(try await server.contextGet("view", token: token).status == 200)
        }

        @Test func sizeLimitsOfFieldsAre400() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let tooMany = (0...100).map { ["content": "Document \($0)."] }
            expectContextError(try await server.contextPost("add", token: token, .json(["documents": tooMany])), 400, "101 documents")
            let huge = String(repeating: "a", count: 2_000_001)
            expectContextError(try await server.contextPost("add", token: token, .json(["documents": [["content": huge]]])), 400, "content over 2,000,000 characters")
            let longQuery = String(repeating: "query ", count: 400)
            expectContextError(try await server.search(token: token, longQuery), 400, "a query over 2,000 characters")
            expectContextError(try await server.contextPost("add", token: token, .json(["documents": [["content": "x"]], "source": String(repeating: "s", count: 1001)])), 400,
                               "a source over 1,000 characters")
            #expect(try await server.viewDocs(token: token)["total"]?.int == 0)
        }

        /// JSON may carry U+0000, which PostgreSQL text cannot hold: a client error (or the
        /// character dropped), never a 500.
        @Test func nulCharactersAreAClientErrorNotA500() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let cases: [(String, String, RequestBody)] = [
                ("add", "content", .text(#"{"documents": [{"content": "before\u0000after"}]}"#)),
                ("add", "source", .text(#"{"documents": [{"content": "fine"}], "source": "a\u0000b"}"#)),
                ("add", "fileName", .text(#"{"documents": [{"content": "fine", "fileName": "a\u0000.txt"}]}"#)),
                ("add", "metadata", .text(#"{"documents": [{"content": "fine too"}], "metadata": {"k": "v\u0000"}}"#)),
                ("search", "query", .text(#"{"query": "nul\u0000query", "similarity_threshold": 1, "minimum_similarity_threshold": 0}"#)),
                ("search", "metadata", .text(#"{"query": "nul", "similarity_threshold": 1, "minimum_similarity_threshold": 0, "metadata": {"k": "\u0000"}}"#)),
                ("delete", "source", .text(#"{"source": "gone\u0000"}"#)),
            ]
            for (endpoint, field, body) in cases {
                let answer = try await server.contextPost(endpoint, token: token, body)
                #expect(answer.status < 500, "\(endpoint) with U+0000 in \(field): \(answer)")
                if (400..<500).contains(answer.status) { expectContextError(answer, answer.status, "\(endpoint) with U+0000 in \(field)") }
            }
        }

        @Test func deeplyNestedJSONIs400AndTheServerKeepsRunning() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let depth = 100_000
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let answer = try await server.contextPost("add", token: token, .text(#"{"documents": [{"content": "x"}], "metadata": {"deep": \#(arrays)}}"#))
            #expect((400..<500).contains(answer.status), "\(answer)")
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            let second = try await server.contextPost("search", token: token, .text(objects))
            #expect((400..<500).contains(second.status), "\(second)")
            #expect(try await server.contextGet("view", token: token).status == 200)
        }

        @Test func unicodeContentIsStoredIndexedAndFoundIntact() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let texts = [
                "Café crème brûlée, naïve façade — ½ price on Tuesdays. 🚀🎉",
                "東京の天気は晴れです。明日は雨が降るでしょう。",
                "Привет, мир! Это тестовый документ о погоде в Москве.",
                "مرحبا بالعالم، هذا مستند اختبار.",
            ]
            let ids = try await server.addIndexed(token: token, .json(["documents": texts.map { ["content": $0, "fileName": "ünïcödé-\($0.count).txt"] }, "source": "ünïcödé/søurce"]))
            #expect(ids.count == texts.count)
            let view = try await server.view(token: token, "?source=" + "ünïcödé/søurce".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(Set(view["context"]?.array?.compactMap { $0["text"]?.string } ?? []) == Set(texts), "\(view)")
            for text in texts {
                let found = try await server.searchResults(token: token, text)
                #expect(found.first?["contextData"]?.string == text, "\(found.first ?? .null)")
            }
        }

        @Test func unknownRoutesAndMethodsUseTheContextErrorShape() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let notFound = try await server.contextGet("nope", token: token)
            #expect(notFound.status == 404, "\(notFound)")
            let wrongMethod = try await server.contextGet("add", token: token)
            #expect([404, 405].contains(wrongMethod.status), "GET add: \(wrongMethod)")
            if let object = wrongMethod.json?.object {
                #expect(Set(object.keys) == ["response", "error"], "\(wrongMethod)")
            }
        }
    }
}
