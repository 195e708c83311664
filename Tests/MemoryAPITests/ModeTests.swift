import Core
import Foundation
import Jobs
import TestSupport
import Testing

/// The shared scenarios, offline: the documented rules find facts, replies and answers are
/// built from what was retrieved.
extension OfflineMemoryAPI {
    @Suite struct ChatAndExtraction {
        @Test func sessionsAndMessagesArePaginated() async throws { try await Scenarios.sessionsAndMessagesArePaginated(.shared) }
        @Test func replyStoresBothMessagesAndReturnsTheMemoriesUsed() async throws { try await Scenarios.replyStoresBothMessagesAndReturnsTheMemoriesUsed(.shared) }
        @Test func autoExtractionTurnsStatementsIntoLinkedMemoriesOnce() async throws { try await Scenarios.autoExtractionTurnsStatementsIntoLinkedMemoriesOnce(.shared) }
        @Test func manualExtractionOfASessionWithoutAutoExtract() async throws { try await Scenarios.manualExtractionOfASessionWithoutAutoExtract(.shared) }
        @Test func aConversationContextYieldsMemories() async throws { try await Scenarios.aConversationContextYieldsMemories(.shared) }

        @Test func offlineRulesTakeOnlyTheUsersOwnLastingStatements() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let session = try await server.createSession(server.token(user))
            try await Scenarios.say(server, user, session, "Remember that my sister Ana is a dentist. What time is it? I'm vegetarian. Can you help me?")
            let texts = try await Scenarios.chatMemories(server, server.token(user)).map(\.text)
            #expect(texts == ["I'm vegetarian."], """
                offline rules (docs/memories-chat-qa.md: the user's own lasting statement, not a question, 3–300 characters) \
                keep exactly the vegetarian statement; remembered: \(texts)
                """)
        }
    }

    @Suite struct Reconciliation {
        @Test func newFactsAreAdded() async throws { try await Scenarios.newFactsAreAdded(.shared) }
        @Test func aRefinementUpdatesTheMemoryAndKeepsTheOldText() async throws { try await Scenarios.aRefinementUpdatesTheMemoryAndKeepsTheOldText(.shared) }
        @Test func aContradictionSupersedesTheOldMemory() async throws { try await Scenarios.aContradictionSupersedesTheOldMemory(.shared) }
        @Test func aNegationSupersedesTheOldMemory() async throws { try await Scenarios.aNegationSupersedesTheOldMemory(.shared) }
        @Test func theDocumentedPlaceContradictionSupersedes() async throws { try await Scenarios.theDocumentedPlaceContradictionSupersedes(.shared) }
        @Test func aDuplicateIsSkipped() async throws { try await Scenarios.aDuplicateIsSkipped(.shared) }
    }

    @Suite struct QA {
        @Test func questionsAreAnsweredWithCitationsAndKeptInHistory() async throws { try await Scenarios.questionsAreAnsweredWithCitationsAndKeptInHistory(.shared) }
        @Test func answersComeFromContextToo() async throws { try await Scenarios.answersComeFromContextToo(.shared) }

        @Test func offlineModeRecordsNoLLMCalls() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            _ = try await server.createEnriched(server.token(user), ["My car is a green Volvo."])
            let asked = try server.data(try await server.post("/qa/ask", token: server.token(user), ["question": "What car do I drive?"]))
            #expect(asked["mode"]?.string == "offline" && asked["answer"]?.string == "My car is a green Volvo.", "\(asked)")
            #expect(try await server.pool.query("SELECT count(*) AS n FROM llm_calls WHERE user_id = \(user)").first?.decode("n", as: Int.self) == 0)
        }
    }

    @Suite struct OpenAPI {
        @Test func theDocumentListsTheMemoryChatQAAndJobPaths() async throws {
            let server = try TestServer.shared
            let answer = try await server.get("/openapi.json", token: nil)
            #expect(answer.status == 200, "\(answer)")
            let paths = try #require(answer.json?["paths"]?.object, "\(answer)")
            let expected: [String: [String]] = [
                "/api/v1/memories": ["get", "post"],
                "/api/v1/memories/{id}": ["get", "put", "delete"],
                "/api/v1/memories/search": ["post"],
                "/api/v1/memories/batch": ["post"],
                "/api/v1/chat/sessions": ["get", "post"],
                "/api/v1/chat/sessions/{id}/messages": ["get", "post"],
                "/api/v1/chat/sessions/{id}/extract-memories": ["post"],
                "/api/v1/qa/ask": ["post"],
                "/api/v1/qa/history": ["get"],
                "/api/v1/jobs/{id}": ["get"],
            ]
            for (path, methods) in expected {
                let operations = paths[path]?.object
                #expect(operations != nil, "\(path) is described")
                for method in methods {
                    #expect(operations?[method] != nil, "\(method.uppercased()) \(path) is described")
                }
            }
        }
    }
}

/// The shared scenarios with the scripted model: it finds the facts, writes the replies and
/// the answers; its token usage is recorded.
extension LLMMemoryAPI {
    @Suite struct ChatAndExtraction {
        @Test func sessionsAndMessagesArePaginated() async throws { try await Scenarios.sessionsAndMessagesArePaginated(.shared) }
        @Test func replyStoresBothMessagesAndReturnsTheMemoriesUsed() async throws { try await Scenarios.replyStoresBothMessagesAndReturnsTheMemoriesUsed(.shared) }
        @Test func autoExtractionTurnsStatementsIntoLinkedMemoriesOnce() async throws { try await Scenarios.autoExtractionTurnsStatementsIntoLinkedMemoriesOnce(.shared) }
        @Test func manualExtractionOfASessionWithoutAutoExtract() async throws { try await Scenarios.manualExtractionOfASessionWithoutAutoExtract(.shared) }
        @Test func aConversationContextYieldsMemories() async throws { try await Scenarios.aConversationContextYieldsMemories(.shared) }

        @Test func theModelFindsTheFactsAndItsUsageIsRecorded() async throws {
            let server = try TestServer.shared
            let llm = try #require(server.llm)
            let user = TestServer.newUser()
            let session = try await server.createSession(server.token(user))
            let statement = "Remember that my sister Ana is a dentist. What time is it?"
            try await Scenarios.say(server, user, session, statement)
            #expect(try await Scenarios.chatMemories(server, server.token(user)).map(\.text) == ["My sister Ana is a dentist."],
                    "the model's facts are remembered (the offline rules would find none here)")
            let request = llm.requests.first { $0.isExtraction && $0.firstUserContent.contains(statement) }
            #expect(request != nil, "the worker asked the model")
            #expect(request?.json["response_format"] != nil, "for structured output")
            let calls = try await server.pool.query("""
                SELECT prompt_tokens, completion_tokens FROM llm_calls WHERE user_id = \(user) AND purpose = 'memory.extract'
                """).rows
            #expect(try calls.map { [try $0.decode("prompt_tokens", as: Int.self), try $0.decode("completion_tokens", as: Int.self)] }
                    == [[ScriptedLLM.Usage.extraction.prompt, ScriptedLLM.Usage.extraction.completion]], "one extraction call's usage")
        }

        @Test func invalidFactsFromTheModelAreRejectedAndTheJobShowsTheError() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let session = try await server.createSession(token)
            let reply = try await server.sendMessage(token, session, "I garble my words when I am tired.")
            let jobID = try #require(reply["extraction_job_id"]?.int)
            var job: JSON?
            try await eventually("the extraction to fail once", timeout: .seconds(120), interval: .milliseconds(50)) {
                job = try server.data(try await server.get("/jobs/\(jobID)", token: token), 200, "job")
                return job?["last_error"]?.string != nil
            }
            let shown = try #require(job)
            #expect((shown["attempts"]?.int ?? shown["attempt"]?.int ?? 0) >= 1, "\(shown)")
            #expect(shown["state"]?.string != "completed", "\(shown)")
            #expect(shown["last_error"]?.string?.isEmpty == false, "the job says why: \(shown)")
            #expect(try await server.list(token)["total"]?.int == 0, "nothing invalid is remembered")
            let requests = server.llm?.requests.filter { $0.isExtraction && $0.firstUserContent.contains("I garble my words") } ?? []
            #expect(requests.count >= 2 && requests[1].isCorrection, "the invalid reply got one corrective retry: \(requests.count) requests")
        }

        /// A message sent while its session's extraction is running must still be extracted.
        @Test func aMessageSentWhileExtractionRunsIsExtractedToo() async throws {
            let server = try TestServer.shared
            let llm = try #require(server.llm)
            let user = TestServer.newUser()
            let token = server.token(user)
            let session = try await server.createSession(token)
            let marker = "red bicycle \(UUID().uuidString.prefix(6))"
            let gate = llm.holdExtractions(containing: marker)
            let first = try await server.sendMessage(token, session, "I own a \(marker).")
            let firstJob = try #require(first["extraction_job_id"]?.int)
            try await eventually("the extraction to ask the model", timeout: .seconds(120), interval: .milliseconds(25)) {
                llm.requests.contains { $0.isExtraction && $0.firstUserContent.contains(marker) }
            }
            let second = try await server.sendMessage(token, session, "I speak fluent Japanese.")
            let secondJob = try #require(second["extraction_job_id"]?.int, "\(second)")
            await gate.open()
            try await server.waitJob(token, firstJob)
            try await server.waitJob(token, secondJob)
            var texts = [String]()
            do {
                try await eventually("both messages' facts to be remembered", timeout: .seconds(120), interval: .milliseconds(100)) {
                    texts = try await Scenarios.chatMemories(server, token).map(\.text)
                    return Set(texts) == ["I own a \(marker).", "I speak fluent Japanese."]
                }
            } catch {
                Issue.record("""
                    a message sent while its session's extraction was running was never extracted: memories \(texts); \
                    the second message's extraction_job_id was \(secondJob) (the running job is \(firstJob))
                    """)
            }
        }
    }

    @Suite struct Reconciliation {
        @Test func newFactsAreAdded() async throws { try await Scenarios.newFactsAreAdded(.shared) }
        @Test func aRefinementUpdatesTheMemoryAndKeepsTheOldText() async throws { try await Scenarios.aRefinementUpdatesTheMemoryAndKeepsTheOldText(.shared) }
        @Test func aContradictionSupersedesTheOldMemory() async throws { try await Scenarios.aContradictionSupersedesTheOldMemory(.shared) }
        @Test func aNegationSupersedesTheOldMemory() async throws { try await Scenarios.aNegationSupersedesTheOldMemory(.shared) }
        @Test func theDocumentedPlaceContradictionSupersedes() async throws { try await Scenarios.theDocumentedPlaceContradictionSupersedes(.shared) }
        @Test func aDuplicateIsSkipped() async throws { try await Scenarios.aDuplicateIsSkipped(.shared) }
    }

    @Suite struct QA {
        @Test func questionsAreAnsweredWithCitationsAndKeptInHistory() async throws { try await Scenarios.questionsAreAnsweredWithCitationsAndKeptInHistory(.shared) }
        @Test func answersComeFromContextToo() async throws { try await Scenarios.answersComeFromContextToo(.shared) }

        @Test func anAnswerCitingSourcesThatDoNotExistIsRejectedAndAskedAgain() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let memory = try await server.createEnriched(server.token(user), ["My sister Ana lives in Porto."])[0]
            let asked = try server.data(try await server.post("/qa/ask", token: server.token(user), ["question": "validate me: where does my sister live?"]))
            #expect(asked["answer"]?.string == "According to source 1: My sister Ana lives in Porto.", "the corrected answer: \(asked)")
            #expect(asked["citations"]?[0]?["id"]?.string == memory && asked["citations"]?[0]?["used"]?.bool == true, "\(asked)")
            let calls = try await server.pool.query("SELECT prompt_tokens, completion_tokens FROM llm_calls WHERE user_id = \(user) AND purpose = 'qa'").rows
            let tokens = try calls.reduce(0) { $0 + (try $1.decode("prompt_tokens", as: Int.self)) }
            #expect(tokens == 2 * ScriptedLLM.Usage.qa.prompt, "both requests' tokens are counted: \(tokens)")
        }
    }
}
