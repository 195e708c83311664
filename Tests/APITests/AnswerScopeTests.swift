import Foundation
import TestSupport
import Testing

/// `chat` and `qa` let an answer draw on the user's memories and context; the records
/// themselves are shown beside the answer only to tokens that may read them, and a chat
/// writes memories (automatic extraction) only for tokens that may write them.
@Suite struct AnswerScopeTests {
    @Test func answersShowStoredContentOnlyToTokensThatMayReadIt() async throws {
        try await TestServer.run { server in
            let user = TestServer.newUser("scopes")
            let created = try await server.post("/memories", token: server.token(user), ["text": "My dentist is Dr. Okafor in Lisbon."])
            #expect(created.status == 201, "\(created)")
            let job = try #require(created.json?["data"]?["job_id"]?.int, "\(created)")
            try await eventually("the memory is indexed") {
                try await server.get("/jobs/\(job)", token: server.token(user)).json?["data"]?["state"]?.string == "completed"
            }

            // Chat: ids only without memories:read, and no extraction without memories:write.
            let chatOnly = server.token(user, scopes: ["chat"])
            let session = try await server.post("/chat/sessions", token: chatOnly, ["title": "t"])
            let sessionID = try #require(session.json?["data"]?["id"]?.string, "\(session)")
            let reply = try await server.post("/chat/sessions/\(sessionID)/messages", token: chatOnly, ["content": "Who is my dentist?"])
            #expect(reply.status == 201, "\(reply)")
            let used = try #require(reply.json?["data"]?["memories_used"]?.array, "\(reply)")
            #expect(!used.isEmpty, "the reply drew on no memory: \(reply)")
            #expect(used.allSatisfy { $0.object.map { Array($0.keys) } == ["id"] }, "\(used)")
            #expect(reply.json?["data"]?["extraction_job_id"]?.isNull == true, "\(reply)")

            let full = server.token(user, scopes: ["chat", "memories:read", "memories:write"])
            let fullReply = try await server.post("/chat/sessions/\(sessionID)/messages", token: full, ["content": "Who is my dentist?"])
            #expect(fullReply.json?["data"]?["memories_used"]?[0]?["text"]?.string?.contains("Okafor") == true, "\(fullReply)")
            #expect(fullReply.json?["data"]?["extraction_job_id"]?.int != nil, "\(fullReply)")

            // Q&A: citations without snippets unless the token may read the store.
            let qaOnly = try await server.post("/qa/ask", token: server.token(user, scopes: ["qa"]), ["question": "Who is my dentist?"])
            let citations = try #require(qaOnly.json?["data"]?["citations"]?.array, "\(qaOnly)")
            #expect(!citations.isEmpty, "\(qaOnly)")
            #expect(citations.allSatisfy { $0["snippet"] == nil }, "\(citations)")
            let qaRead = try await server.post("/qa/ask", token: server.token(user, scopes: ["qa", "memories:read"]), ["question": "Who is my dentist?"])
            #expect(qaRead.json?["data"]?["citations"]?[0]?["snippet"]?.string?.contains("Okafor") == true, "\(qaRead)")
        }
    }
}
