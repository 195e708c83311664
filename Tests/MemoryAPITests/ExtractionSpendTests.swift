import Core
import Foundation
import TestSupport
import Testing

/// What memory extraction spends on the model is the user's, and bounded: its tokens count in
/// `llm_tokens` (so the bill and the hard quota see them), its prompts stay within
/// `LLM_MAX_PROMPT_CHARACTERS` however long the conversation, and a request the model's
/// service refuses (a 4xx but 408, 409 and 429) is asked once, failing the job for good.
@Suite(.memoryServer(.llm, ["LLM_MAX_PROMPT_CHARACTERS": "1000"]), .timeLimit(.minutes(10)))
struct ExtractionSpendTests {
    /// The suite's `LLM_MAX_PROMPT_CHARACTERS`.
    static let cap = 1000
    static let chatTokens = ScriptedLLM.Usage.chat.prompt + ScriptedLLM.Usage.chat.completion
    static let extractionTokens = ScriptedLLM.Usage.extraction.prompt + ScriptedLLM.Usage.extraction.completion

    @Test func extractionTokensAreTheUsersLLMTokens() async throws {
        let server = try TestServer.shared
        let user = TestServer.newUser("spend")
        let token = server.token(user)
        let session = try await server.createSession(token, ["auto_extract": false])
        _ = try await server.sendMessage(token, session, "I keep bees on my roof.")
        let before = try await server.spend(token)
        #expect(before.llmTokens == Self.chatTokens, "the chat reply's tokens: \(before)")

        let job = try await server.queueExtraction(token, session)
        try await server.waitJob(token, job)
        let after = try await server.spend(token)
        #expect(after.llmTokens == before.llmTokens + Self.extractionTokens, "the extraction's tokens are metered: \(before) → \(after)")
        #expect(after.aiOperations == before.aiOperations, "extraction is no AI operation of its own: \(before) → \(after)")
        #expect(try await server.extractionCalls(user) == 1, "one llm_calls row for the one request")
    }

    @Test func aLongConversationIsExtractedInSeveralRequestsWithinTheCap() async throws {
        let server = try TestServer.shared
        let llm = try #require(server.llm)
        let user = TestServer.newUser("batches")
        let token = server.token(user)
        let tag = "nb\(UUID().uuidString.prefix(6).lowercased())"
        let sentences = (0..<64).map { "I keep notebook \(tag)-\($0) in the blue drawer." }
        // Three messages that fit a prompt each, and one that fits none and must be split.
        let messages = [sentences[0..<8], sentences[8..<16], sentences[16..<24], sentences[24...]].map { $0.joined(separator: " ") }
        #expect(messages[3].count > Self.cap)
        let session = try await server.createSession(token, ["auto_extract": false])
        for message in messages { _ = try await server.sendMessage(token, session, message) }

        let job = try await server.queueExtraction(token, session)
        try await server.waitJob(token, job)
        let requests = llm.requests.filter { $0.isExtraction && $0.firstUserContent.contains(tag) }
        #expect(requests.count > 1, "a conversation longer than the cap takes several requests: \(requests.count)")
        for request in requests {
            let size = request.messages.reduce(0) { $0 + $1.content.count }
            #expect(size <= Self.cap, "every prompt is within LLM_MAX_PROMPT_CHARACTERS: \(size) characters")
        }
        #expect(!requests.contains { $0.firstUserContent.contains(messages[3]) }, "the over-long message was split")
        let missing = sentences.filter { sentence in !requests.contains { $0.firstUserContent.contains(sentence) } }
        #expect(missing.isEmpty, "every sentence was asked about, whole: missing \(missing)")
        let spend = try await server.spend(token)
        #expect(spend.llmTokens == messages.count * Self.chatTokens + requests.count * Self.extractionTokens,
                "every request's tokens are metered: \(spend), \(requests.count) extraction requests")
        #expect(try await server.extractionCalls(user) == requests.count)
    }

    @Test func aRequestTheModelRefusesIsSentOnceAndTheJobFailsForGood() async throws {
        let server = try TestServer.shared
        let llm = try #require(server.llm)
        let user = TestServer.newUser("refused")
        let token = server.token(user)
        let marker = "refused-\(UUID().uuidString.prefix(6))"
        llm.refuseExtractions(containing: marker, status: 400)
        let session = try await server.createSession(token, ["auto_extract": false])
        _ = try await server.sendMessage(token, session, "I collect \(marker) stamps.")

        let job = try await server.waitFailedOnce(token, try await server.queueExtraction(token, session))
        #expect(job["attempt"]?.int == 1, "not retried by the queue: \(job)")
        #expect(job["last_error"]?.string?.contains("400") == true, "the job says why: \(job)")
        let requests = llm.requests.filter { $0.isExtraction && $0.firstUserContent.contains(marker) }
        #expect(requests.count == 1, "the model was asked exactly once: \(requests.count) requests")
        #expect(try await server.spend(token).llmTokens == Self.chatTokens, "a refused request costs nothing")
    }

    /// A job that fails after the model answered part of the conversation spent those
    /// tokens: they are metered although no memory was written.
    @Test func tokensSpentBeforeAFailureAreMetered() async throws {
        let server = try TestServer.shared
        let llm = try #require(server.llm)
        let user = TestServer.newUser("partial")
        let token = server.token(user)
        let tag = "sh\(UUID().uuidString.prefix(6).lowercased())"
        let marker = "refused-\(UUID().uuidString.prefix(6))"
        llm.refuseExtractions(containing: marker, status: 400)
        // Two messages too long to share a prompt: the first is answered, the second refused.
        let answered = (0..<12).map { "I own shelf \(tag)-\($0) in the garage." }.joined(separator: " ")
        let refused = (0..<12).map { "I keep \(marker) box \($0) in the attic." }.joined(separator: " ")
        let session = try await server.createSession(token, ["auto_extract": false])
        _ = try await server.sendMessage(token, session, answered)
        _ = try await server.sendMessage(token, session, refused)

        let job = try await server.waitFailedOnce(token, try await server.queueExtraction(token, session))
        #expect(job["attempt"]?.int == 1, "\(job)")
        #expect(llm.requests.filter { $0.isExtraction && $0.firstUserContent.contains(tag) }.count == 1, "the first batch was answered")
        #expect(try await server.spend(token).llmTokens == 2 * Self.chatTokens + Self.extractionTokens,
                "the answered request's tokens are metered")
        #expect(try await server.extractionCalls(user) == 1)
        #expect(try await server.list(token)["total"]?.int == 0, "a failed extraction writes no memory")
    }

    @Test func rateLimitsAndServerErrorsAreStillRetried() async throws {
        let server = try TestServer.shared
        let llm = try #require(server.llm)
        let user = TestServer.newUser("transient")
        let token = server.token(user)
        let marker = "flaky\(UUID().uuidString.prefix(6).lowercased())"
        // LLM_MAX_RETRIES=1: the client retries the 429, gives up on the 500; the queue retries the job.
        llm.failExtractions(containing: marker, with: [429, 500])
        let session = try await server.createSession(token, ["auto_extract": false])
        _ = try await server.sendMessage(token, session, "I ride a \(marker) bicycle.")

        let job = try await server.waitJob(token, try await server.queueExtraction(token, session))
        #expect(job["attempt"]?.int == 2, "one retry by the queue: \(job)")
        #expect(job["errors"]?[0]?["error"]?.string?.contains("500") == true, "\(job)")
        #expect(llm.requests.filter { $0.isExtraction && $0.firstUserContent.contains(marker) }.count == 3)
        #expect(try await server.spend(token).llmTokens == Self.chatTokens + Self.extractionTokens)
        try await server.waitIdle(user: user)
        #expect(try await Scenarios.chatMemories(server, token).map(\.text) == ["I ride a \(marker) bicycle."])
    }
}

extension TestServer {
    /// `POST /chat/sessions/{id}/extract-memories` (202); the job's id.
    func queueExtraction(_ token: String, _ session: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let queued = try data(try await post("/chat/sessions/\(session)/extract-memories", token: token), 202, "extract", sourceLocation: sourceLocation)
        return try #require(queued["job_id"]?.int, "\(queued)", sourceLocation: sourceLocation)
    }

    /// The user's `llm_tokens` and `ai_operations` this period, as `GET /billing/usage` shows them.
    func spend(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (llmTokens: Int, aiOperations: Int) {
        let usage = try data(try await get("/billing/usage", token: token), 200, "usage", sourceLocation: sourceLocation)
        return (try #require(usage["metrics"]?["llm_tokens"]?["used"]?.int, "\(usage)", sourceLocation: sourceLocation),
                try #require(usage["metrics"]?["ai_operations"]?["used"]?.int, "\(usage)", sourceLocation: sourceLocation))
    }

    /// The user's `llm_calls` rows of extraction.
    func extractionCalls(_ user: String) async throws -> Int {
        try await pool.query("""
            SELECT count(*)::bigint AS n FROM llm_calls WHERE user_id = \(user) AND purpose = 'memory.extract'
            """).first!.decode("n", as: Int.self)
    }

    /// `GET /jobs/{id}` until the job has failed for good after its first attempt; the job.
    /// A job that completes, or is retried, fails the wait at once.
    func waitFailedOnce(_ token: String, _ id: Int) async throws -> JSON {
        var last: JSON?
        try await eventually("job \(id) to fail (last: \(String(describing: last)))", interval: .milliseconds(50)) {
            let job = try data(try await get("/jobs/\(id)", token: token), 200, "job \(id)")
            last = job
            if job["state"]?.string == "completed" { throw HarnessFailure("job \(id) completed: \(job)") }
            if (job["attempt"]?.int ?? 0) > 1 { throw HarnessFailure("job \(id) was retried: \(job)") }
            return job["state"]?.string == "failed"
        }
        return try #require(last)
    }
}
