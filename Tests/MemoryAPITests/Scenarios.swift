import Core
import Foundation
import Jobs
import TestSupport
import Testing

/// Chat, extraction, reconciliation, conversation contexts and Q&A: the same scenarios run
/// in the offline suite and in the LLM suite (where the scripted model finds the facts and
/// writes the replies and answers), each checking what its mode must produce.
enum Scenarios {
    /// The live chat-extracted memories of a user: (id, text), oldest first.
    static func chatMemories(_ server: TestServer, _ token: String) async throws -> [(id: String, text: String)] {
        try await server.list(token, "?source=chat&order=asc&limit=100")["items"]?.array?.map {
            (try #require($0["id"]?.string), try #require($0["text"]?.string))
        } ?? []
    }

    /// Sends a message in an auto-extracting session, waits for its extraction and for the
    /// indexing of whatever it created; the user message's id.
    @discardableResult
    static func say(_ server: TestServer, _ user: String, _ session: String, _ content: String) async throws -> String {
        let reply = try await server.sendAndExtract(server.token(user), session, content)
        try await server.waitIdle(user: user)
        return try #require(reply["user_message"]?["id"]?.string, "\(reply)")
    }

    static func refs(_ memory: JSON) -> [String] {
        memory["source_refs"]?.array?.compactMap { $0["message_id"]?.string ?? $0["document_id"]?.string } ?? []
    }

    // MARK: Chat

    static func sessionsAndMessagesArePaginated(_ server: TestServer) async throws {
        let token = server.newToken()
        let created = try server.data(try await server.post("/chat/sessions", token: token, ["title": "S1", "auto_extract": false, "metadata": ["k": "v"]]), 201, "session")
        #expect(created["title"]?.string == "S1" && created["auto_extract"]?.bool == false && created["message_count"]?.int == 0, "\(created)")
        #expect(created["metadata"]?["k"]?.string == "v" && created["created_at"]?.string != nil, "\(created)")
        let first = try #require(created["id"]?.string)
        let defaults = try server.data(try await server.post("/chat/sessions", token: token, [String: Any]()), 201, "default session")
        #expect(defaults["auto_extract"]?.bool == true, "sessions extract by default: \(defaults)")
        _ = try await server.createSession(token, ["title": "S3", "auto_extract": false])

        func page(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (items: [JSON], total: Int?) {
            let data = try server.data(try await server.get(path, token: token), 200, path, sourceLocation: sourceLocation)
            return (try #require(data["items"]?.array, "\(path): \(data)", sourceLocation: sourceLocation), data["total"]?.int)
        }
        #expect(try await page("/chat/sessions").items.count == 3)
        let two = try await page("/chat/sessions?limit=2")
        #expect(two.items.count == 2 && two.total == 3, "\(two)")
        let rest = try await page("/chat/sessions?limit=2&skip=2")
        #expect(rest.items.count == 1 && rest.total == 3)
        #expect(Set((two.items + rest.items).compactMap { $0["id"]?.string }).count == 3, "pages do not overlap")
        let past = try await page("/chat/sessions?skip=3")
        #expect(past.items.isEmpty && past.total == 3)
        let total = try await page("/chat/sessions?limit=0")
        #expect(total.items.isEmpty && total.total == 3)

        let one = try await server.sendMessage(token, first, "Hello, how are you today?")
        let two2 = try await server.sendMessage(token, first, "Tell me something nice.")
        let messages = try await page("/chat/sessions/\(first)/messages")
        #expect(messages.total == 4, "both messages of each exchange are stored: \(messages)")
        #expect(messages.items.compactMap { $0["role"]?.string } == ["user", "assistant", "user", "assistant"], "oldest first")
        #expect(messages.items.compactMap { $0["id"]?.string } == [
            one["user_message"]?["id"]?.string, one["assistant_message"]?["id"]?.string,
            two2["user_message"]?["id"]?.string, two2["assistant_message"]?["id"]?.string,
        ].compactMap { $0 })
        #expect(messages.items.first?["content"]?.string == "Hello, how are you today?")
        let second = try await page("/chat/sessions/\(first)/messages?limit=1&skip=1")
        #expect(second.items.count == 1 && second.items.first?["role"]?.string == "assistant" && second.total == 4, "\(second)")
        #expect(second.items.first?["mode"]?.string == server.mode.rawValue, "the stored reply says its mode: \(second)")
        let beyond = try await page("/chat/sessions/\(first)/messages?skip=4")
        #expect(beyond.items.isEmpty && beyond.total == 4)
        #expect(try await page("/chat/sessions/\(first)/messages?limit=0").total == 4)
        let listed = try await page("/chat/sessions?limit=100").items.first { $0["id"]?.string == first }
        #expect(listed?["message_count"]?.int == 4, "\(String(describing: listed))")
    }

    static func replyStoresBothMessagesAndReturnsTheMemoriesUsed(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let memory = try await server.createEnriched(token, ["My dog is called Rex and he is a beagle."])[0]
        let session = try await server.createSession(token, ["auto_extract": false])
        let reply = try await server.sendMessage(token, session, "What is my dog called?")
        #expect(reply["mode"]?.string == server.mode.rawValue, "the reply says which mode produced it: \(reply)")
        let used = try #require(reply["memories_used"]?.array, "\(reply)")
        #expect(used.first?["id"]?.string == memory, "the dog memory is used: \(used)")
        #expect(used.first?["text"]?.string == "My dog is called Rex and he is a beagle." && used.first?["score"]?.number != nil)
        let userMessage = try #require(reply["user_message"], "\(reply)")
        let assistant = try #require(reply["assistant_message"], "\(reply)")
        #expect(userMessage["role"]?.string == "user" && userMessage["content"]?.string == "What is my dog called?")
        #expect(assistant["role"]?.string == "assistant" && assistant["mode"]?.string == server.mode.rawValue)
        #expect(assistant["memories_used"] == .array([.string(memory)]), "the stored reply records the memories it used: \(assistant)")
        #expect(reply["extraction_job_id"]?.isNull == true, "a session without auto_extract queues nothing: \(reply)")
        let content = try #require(assistant["content"]?.string)
        switch server.mode {
        case .offline: #expect(content.contains("Rex"), "the offline reply states what is known: \(content)")
        case .llm:
            #expect(content == "Scripted reply: What is my dog called?", "the LLM's reply: \(content)")
            let prompt = server.llm?.requests.last { $0.isChat && $0.lastUserContent == "What is my dog called?" }
            #expect(prompt?.system.contains("My dog is called Rex") == true, "the memory is in the prompt")
            let calls = try await server.pool.query("SELECT prompt_tokens, completion_tokens FROM llm_calls WHERE user_id = \(user) AND purpose = 'chat'").rows
            #expect(try calls.map { [try $0.decode("prompt_tokens", as: Int.self), try $0.decode("completion_tokens", as: Int.self)] }
                    == [[ScriptedLLM.Usage.chat.prompt, ScriptedLLM.Usage.chat.completion]], "the chat call's usage is recorded")
        }
        let stored = try server.data(try await server.get("/chat/sessions/\(session)/messages", token: token))
        #expect(stored["items"]?.array?.compactMap { $0["id"]?.string } == [userMessage["id"]?.string, assistant["id"]?.string].compactMap { $0 })
        #expect(stored["items"]?[1]?["content"]?.string == content)
    }

    // MARK: Extraction

    static func autoExtractionTurnsStatementsIntoLinkedMemoriesOnce(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let session = try await server.createSession(token)
        let reply = try await server.sendMessage(token, session, "I live in Lisbon and I work as a nurse.")
        let message = try #require(reply["user_message"]?["id"]?.string)
        let jobID = try #require(reply["extraction_job_id"]?.int, "auto_extract queues a job: \(reply)")
        let job = try await server.waitJob(token, jobID)
        #expect(job["kind"]?.string == "memory.extract", "\(job)")
        try await server.waitIdle(user: user)
        let page = try await server.list(token, "?source=chat")
        let items = try #require(page["items"]?.array)
        #expect(page["total"]?.int == 1, "one statement, one memory: \(page)")
        let memory = try #require(items.first)
        #expect(memory["text"]?.string == "I live in Lisbon and I work as a nurse.", "\(memory)")
        #expect(memory["source"]?.string == "chat")
        #expect(refs(memory).contains(message), "the memory links to its message: \(memory)")
        #expect(memory["enrichment"]?.string == "done" && memory["category"]?.string != nil, "extracted memories are enriched too: \(memory)")

        // Extracting again, by the endpoint and by a second job racing a third, adds nothing.
        let again = try await server.post("/chat/sessions/\(session)/extract-memories", token: token, [:])
        let accepted = try server.data(again, 202, "extract-memories")
        #expect(accepted["session_id"]?.string == session, "\(accepted)")
        try await server.waitJob(token, try #require(accepted["job_id"]?.int, "202 carries a job id: \(accepted)"))
        let queue = JobQueue()
        let twins = try await queue.enqueue([
            try NewJob(ExtractMemoriesArgs(userID: user, sessionID: UUID(uuidString: session)!), options: JobOptions(ownerUserID: user)),
            try NewJob(ExtractMemoriesArgs(userID: user, sessionID: UUID(uuidString: session)!), options: JobOptions(ownerUserID: user)),
        ], pool: server.pool)
        for id in twins { try await server.waitJob(token, id) }
        try await server.waitIdle(user: user)
        let after = try await server.list(token, "?source=chat")
        #expect(after["total"]?.int == 1, "extraction is idempotent: \(after)")
        #expect(after["items"]?[0]?["version"] == memory["version"], "and leaves the memory alone")
    }

    static func manualExtractionOfASessionWithoutAutoExtract(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let session = try await server.createSession(token, ["auto_extract": false])
        let reply = try await server.sendMessage(token, session, "I have a brother called Tom.")
        #expect(reply["extraction_job_id"]?.isNull == true, "\(reply)")
        let message = try #require(reply["user_message"]?["id"]?.string)
        for round in 1...2 {
            let answer = try await server.post("/chat/sessions/\(session)/extract-memories", token: token, [:])
            let data = try server.data(answer, 202, "extract-memories #\(round)")
            let job = try await server.waitJob(token, try #require(data["job_id"]?.int, "\(data)"))
            #expect(job["state"]?.string == "completed" && job["last_error"]?.isNull == true, "\(job)")
            try await server.waitIdle(user: user)
            let memories = try await chatMemories(server, token)
            #expect(memories.map(\.text) == ["I have a brother called Tom."], "round \(round): \(memories)")
        }
        let memory = try await server.list(token, "?source=chat")["items"]?[0]
        #expect(memory.map(refs)?.contains(message) == true, "\(String(describing: memory))")
    }

    // MARK: Reconciliation

    static func newFactsAreAdded(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let session = try await server.createSession(server.token(user))
        try await say(server, user, session, "I have a younger brother.")
        try await say(server, user, session, "I play chess every Sunday.")
        #expect(try await chatMemories(server, server.token(user)).map(\.text) == ["I have a younger brother.", "I play chess every Sunday."])
    }

    static func aRefinementUpdatesTheMemoryAndKeepsTheOldText(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let session = try await server.createSession(token)
        try await say(server, user, session, "I work at Acme.")
        let before = try await chatMemories(server, token)
        try #require(before.map(\.text) == ["I work at Acme."], "\(before)")
        let second = try await say(server, user, session, "I work at Acme as a nurse.")
        let after = try await chatMemories(server, token)
        #expect(after.map(\.text) == ["I work at Acme as a nurse."], "one memory, refined: \(after)")
        #expect(after.first?.id == before[0].id, "the same memory was updated, not replaced: \(after)")
        let memory = try await server.memory(token, before[0].id)
        let history = try #require(memory["history"]?.array)
        let old = history.first { $0["change"]?.string == "updated" }
        #expect(old?["text"]?.string == "I work at Acme.", "history has the old text: \(history)")
        #expect(old?["reason"]?.string?.isEmpty == false, "and why it changed: \(history)")
        #expect(refs(memory).contains(second), "the refined memory links to the message its text now comes from: \(memory)")
        let hit = try await server.search(token, "I work at Acme as a nurse.", ["threshold": 0]).first
        #expect(hit?["id"]?.string == before[0].id && (hit?["similarity"]?.number ?? 0) > 0.99, "searchable by its new text: \(String(describing: hit))")
    }

    /// `old` then `new` in a session: the old memory is superseded, never hard-deleted.
    static func contradiction(_ server: TestServer, old: String, new: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let session = try await server.createSession(token)
        try await say(server, user, session, old)
        let first = try #require(try await chatMemories(server, token).first, "\(old) is remembered", sourceLocation: sourceLocation)
        try await say(server, user, session, new)
        let now = try await chatMemories(server, token)
        try #require(now.map(\.text) == [new], "\"\(new)\" contradicts \"\(old)\": only the new fact may stay live, live: \(now.map(\.text))",
                     sourceLocation: sourceLocation)
        let second = now[0]
        #expect(second.id != first.id, sourceLocation: sourceLocation)
        let read = try await server.get("/memories/\(first.id)", token: token)
        if read.status == 200 {
            #expect(read.json?["data"]?["valid_until"]?.string != nil, "a superseded memory that is still readable shows its validity end: \(read)",
                    sourceLocation: sourceLocation)
        } else {
            expectNotFound(read, "the superseded memory is gone from reads", sourceLocation: sourceLocation)
        }
        #expect(try await server.list(token)["total"]?.int == 1, "gone from the list", sourceLocation: sourceLocation)
        let found = try await server.search(token, old, ["threshold": 0]).compactMap { $0["id"]?.string }
        #expect(!found.contains(first.id) && found.contains(second.id), "search finds the new fact, not the old: \(found)", sourceLocation: sourceLocation)

        let row = try #require(try await server.memoryRow(first.id), "never hard-deleted", sourceLocation: sourceLocation)
        #expect(try row.decode("valid_until", as: Date?.self) != nil, "its validity ended", sourceLocation: sourceLocation)
        #expect(try row.decode("superseded_by", as: String?.self) == second.id, "it points at its successor", sourceLocation: sourceLocation)
        let history = try await server.historyRows(first.id)
        let superseded = history.first { $0.change == "superseded" }
        #expect(superseded?.text == old && superseded?.validUntil != nil, "history keeps it with its validity end: \(history)", sourceLocation: sourceLocation)
        #expect(superseded?.reason?.contains(new) == true, "and says what contradicted it: \(history)", sourceLocation: sourceLocation)
    }

    static func aContradictionSupersedesTheOldMemory(_ server: TestServer) async throws {
        try await contradiction(server, old: "My favourite colour is blue.", new: "My favourite colour is green.")
    }

    static func aNegationSupersedesTheOldMemory(_ server: TestServer) async throws {
        try await contradiction(server, old: "I like horror films.", new: "I don't like horror films.")
    }

    /// The example `docs/memories-chat-qa.md` gives for a contradiction.
    static func theDocumentedPlaceContradictionSupersedes(_ server: TestServer) async throws {
        try await contradiction(server, old: "I live in Paris.", new: "I live in Berlin.")
    }

    static func aDuplicateIsSkipped(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let session = try await server.createSession(token)
        try await say(server, user, session, "I like coffee.")
        let first = try await chatMemories(server, token)
        let version = try await server.memory(token, try #require(first.first?.id))["version"]
        try await say(server, user, session, "I like coffee.")
        try await say(server, user, session, "i like coffee!")
        let after = try await chatMemories(server, token)
        #expect(after.map(\.text) == ["I like coffee."] && after.map(\.id) == first.map(\.id), "one memory: \(after)")
        #expect(try await server.memory(token, first[0].id)["version"] == version, "a duplicate changes nothing")
        // A manual memory counts too.
        let manual = TestServer.newUser()
        _ = try await server.createEnriched(server.token(manual), ["I like green tea."])
        let other = try await server.createSession(server.token(manual))
        try await say(server, manual, other, "I like green tea.")
        #expect(try await server.list(server.token(manual))["total"]?.int == 1, "a fact already remembered is not added again")
    }

    // MARK: Conversation contexts

    static func aConversationContextYieldsMemories(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let transcript = "user: I have two cats.\nassistant: Nice! What are their names?\nuser: Their names are Tom and Jerry. What should I feed them?"
        let answer = try await server.send("POST", "/context/add", token: token, body: .json([
            "documents": [["content": transcript]], "source": "conversation-\(UUID().uuidString.prefix(8))", "context_type": "conversation",
        ]))
        #expect(answer.status == 201, "context/add: \(answer)")
        let document = try #require(answer.json?["documents"]?[0]?["id"]?.string, "\(answer)")
        var items = [JSON]()
        try await eventually("the conversation's memory", timeout: .seconds(120), interval: .milliseconds(100)) {
            items = try await server.list(token, "?source=context")["items"]?.array ?? []
            return !items.isEmpty
        }
        try await server.waitIdle(user: user)
        items = try await server.list(token, "?source=context")["items"]?.array ?? []
        #expect(items.compactMap { $0["text"]?.string } == ["I have two cats."], "only what the user said about themselves: \(items)")
        #expect(items.first?["source"]?.string == "context")
        #expect(items.first.map(refs) == [document], "the memory links to its document: \(items)")
        #expect(try await server.list(token)["total"]?.int == 1, "nothing else was remembered")
    }

    // MARK: Q&A

    static func questionsAreAnsweredWithCitationsAndKeptInHistory(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let sister = try await server.createEnriched(token, ["My sister Ana lives in Porto.", "I am learning to play the cello."])[0]
        let asked = try server.data(try await server.post("/qa/ask", token: token, ["question": "Where does my sister live?"]), 200, "ask")
        #expect(asked["mode"]?.string == server.mode.rawValue, "\(asked)")
        #expect(asked["question"]?.string == "Where does my sister live?" && asked["id"]?.string != nil)
        let citations = try #require(asked["citations"]?.array, "\(asked)")
        let cited = try #require(citations.first, "the answer cites its source: \(asked)")
        #expect(cited["id"]?.string == sister && cited["type"]?.string == "memory", "\(citations)")
        #expect(cited["used"]?.bool == true, "the source the answer rests on is marked used: \(citations)")
        #expect(cited["snippet"]?.string == "My sister Ana lives in Porto." && cited["score"]?.number != nil, "\(cited)")
        #expect(citations.dropFirst().allSatisfy { $0["used"]?.bool == false && $0["id"]?.string != nil && $0["snippet"]?.string != nil })
        let answer = try #require(asked["answer"]?.string)
        switch server.mode {
        case .offline: #expect(answer == "My sister Ana lives in Porto.", "the offline answer is the sentence that answers: \(answer)")
        case .llm:
            #expect(answer == "According to source 1: My sister Ana lives in Porto.", "the model's answer: \(answer)")
            let calls = try await server.pool.query("SELECT prompt_tokens, completion_tokens, model FROM llm_calls WHERE user_id = \(user) AND purpose = 'qa'").rows
            #expect(calls.count == 1, "one LLM call recorded")
            #expect(try calls.first?.decode("prompt_tokens", as: Int.self) == ScriptedLLM.Usage.qa.prompt)
            #expect(try calls.first?.decode("completion_tokens", as: Int.self) == ScriptedLLM.Usage.qa.completion)
            #expect(try calls.first?.decode("model", as: String.self).isEmpty == false)
        }

        let nothing = try server.data(try await server.post("/qa/ask", token: token, ["question": "What is the airspeed of an unladen swallow?", "limit": 3]), 200, "ask 2")
        #expect(nothing["answer"]?.string?.isEmpty == false, "\(nothing)")
        _ = try server.data(try await server.post("/qa/ask", token: token, ["question": "Which instrument am I learning?"]), 200, "ask 3")
        func history(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (items: [JSON], total: Int?) {
            let data = try server.data(try await server.get("/qa/history" + query, token: token), 200, "history \(query)", sourceLocation: sourceLocation)
            return (data["items"]?.array ?? [], data["total"]?.int)
        }
        let all = try await history("")
        #expect(all.total == 3 && all.items.compactMap { $0["question"]?.string } == [
            "Which instrument am I learning?", "What is the airspeed of an unladen swallow?", "Where does my sister live?",
        ], "newest first: \(all)")
        let oldest = try #require(all.items.last)
        #expect(oldest["answer"]?.string == answer && oldest["mode"]?.string == server.mode.rawValue)
        #expect(oldest["citations"]?.array?.first?["id"]?.string == sister, "citations are kept: \(oldest)")
        let page = try await history("?limit=2")
        #expect(page.items.count == 2 && page.total == 3)
        let rest = try await history("?limit=2&skip=2")
        #expect(rest.items.count == 1 && rest.items.first?["id"] == asked["id"])
        let past = try await history("?skip=3")
        #expect(past.items.isEmpty && past.total == 3)
        let count = try await history("?limit=0")
        #expect(count.items.isEmpty && count.total == 3)
    }

    static func answersComeFromContextToo(_ server: TestServer) async throws {
        let user = TestServer.newUser()
        let token = server.token(user)
        let added = try await server.send("POST", "/context/add", token: token, body: .json([
            "documents": [["content": "The city museum opens at nine in the morning. Tickets cost twelve euros for adults."]],
            "source": "museum-guide", "context_type": "resource",
        ]))
        let document = try #require(added.json?["documents"]?[0]?["id"]?.string, "\(added)")
        let uuid = try #require(UUID(uuidString: document))
        try await eventually("the museum guide to be indexed", timeout: .seconds(120), interval: .milliseconds(50)) {
            try await server.pool.query("SELECT state FROM context_documents WHERE id = \(uuid)").first?.decode("state", as: String.self) == "indexed"
        }
        let asked = try server.data(try await server.post("/qa/ask", token: token, ["question": "How much do museum tickets cost?"]), 200, "ask")
        let cited = try #require(asked["citations"]?.array?.first, "\(asked)")
        #expect(cited["type"]?.string == "context" && cited["document_id"]?.string == document && cited["used"]?.bool == true, "\(asked)")
        #expect(cited["snippet"]?.string?.contains("Tickets cost twelve euros") == true)
        if server.mode == .offline {
            #expect(asked["answer"]?.string == "Tickets cost twelve euros for adults.", "the sentence that answers: \(asked)")
        }
    }
}
