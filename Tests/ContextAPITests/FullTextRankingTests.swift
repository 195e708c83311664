import Foundation
import TestSupport
import Testing

/// The full-text arm ranks like BM25 with OR semantics over statistics kept per owner
/// (`TextRanking`, `sql/0019_context_text_statistics.sql`). These servers have no worker, so
/// nothing is embedded and every hit comes from the text arm alone.
@Suite(.timeLimit(.minutes(2)))
struct ContextFullTextRanking {
    /// The documents' text, in the order the search returned them.
    static func ranked(_ server: TestServer, _ token: String, _ query: String) async throws -> [String] {
        try await server.searchResults(token: token, query).compactMap { $0["contextData"]?.string }
    }

    @Test func aQueryFindsDocumentsHoldingOnlySomeOfItsWords() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser())
            let keys = "Rotate the production API keys every ninety days and revoke the old ones."
            try await server.add(token: token, .json(["documents": [
                ["content": keys], ["content": "Lunch is served at noon in the cafeteria."],
            ], "source": "notes"]))
            // "how", "safely", "should" and "we" are in no document: every word would have to match under AND.
            let hits = try await Self.ranked(server, token, "how should we safely rotate production keys")
            #expect(hits == [keys], "\(hits)")
            #expect(try await Self.ranked(server, token, "quantum chromodynamics").isEmpty)
        }
    }

    @Test func aRareWordOutweighsACommonOneEvenRepeated() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser())
            let common = "The weekly report report report is ready."
            let rare = "A zebra was seen near the river."
            let fillers = (0..<12).map { "Report number \($0) covers the finances of branch \($0)." }
            try await server.add(token: token, .json([
                "documents": ([common, rare] + fillers).map { ["content": $0] }, "source": "reports",
            ]))
            // "report" is in 13 of 14 documents, "zebra" in one: the zebra document first,
            // though the other holds "report" three times (ts_rank, without IDF, put it first).
            let hits = try await Self.ranked(server, token, "zebra report")
            #expect(hits.first == rare, "\(hits)")
            #expect(hits.dropFirst().first == common, "more of a term ranks higher among equals: \(hits)")
        }
    }

    @Test func statisticsAreKeptPerOwnerAndFollowDeletes() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let alice = TestServer.newUser("alice"), bob = TestServer.newUser("bob"), organization = "org-\(UUID())"
            let aliceToken = server.token(alice), bobToken = server.token(bob), sharedToken = server.token(alice, org: organization)
            try await server.add(token: aliceToken, .json(["documents": [["content": "Falcons hunt falcons."], ["content": "Owls hunt at night."]], "source": "birds"]))
            try await server.add(token: bobToken, .json(["documents": [["content": "Falcons nest on cliffs."]], "source": "birds"]))
            try await server.add(token: sharedToken, .json(["documents": [["content": "Team falcons meet on Monday."]], "source": "team", "organization_id": organization]))

            #expect(try await Self.nodes(server, owner: "u:\(alice)", lexeme: "falcon") == 1)
            #expect(try await Self.nodes(server, owner: "u:\(alice)", lexeme: "hunt") == 2)
            #expect(try await Self.nodes(server, owner: "u:\(bob)", lexeme: "falcon") == 1)
            #expect(try await Self.nodes(server, owner: "o:\(organization)", lexeme: "falcon") == 1)
            #expect(try await Self.totals(server, owner: "u:\(alice)") == 2)

            let deleted = try await server.contextPost("delete", token: aliceToken, .json(["source": "birds", "by_doc": true, "by_id": false]))
            #expect(deleted.status == 204, "\(deleted)")
            // Alice's own statistics are gone, lexemes and all; Bob's and the organization's stay.
            #expect(try await server.pool.query("SELECT count(*) AS n FROM context_term_counts WHERE owner = \("u:\(alice)")").first!
                .decode("n", as: Int.self) == 0)
            #expect(try await Self.totals(server, owner: "u:\(alice)") == 0)
            #expect(try await Self.nodes(server, owner: "u:\(bob)", lexeme: "falcon") == 1)
            #expect(try await Self.nodes(server, owner: "o:\(organization)", lexeme: "falcon") == 1)
            // The organization's document is still found by the member who can see it.
            #expect(try await Self.ranked(server, sharedToken, "falcons") == ["Team falcons meet on Monday."])
        }
    }

    static func nodes(_ server: TestServer, owner: String, lexeme: String) async throws -> Int? {
        try await server.pool.query("SELECT nodes FROM context_term_counts WHERE owner = \(owner) AND lexeme = \(lexeme)").first?
            .decode("nodes", as: Int.self)
    }

    static func totals(_ server: TestServer, owner: String) async throws -> Int? {
        try await server.pool.query("SELECT nodes FROM context_text_totals WHERE owner = \(owner)").first?.decode("nodes", as: Int.self)
    }
}
