import Foundation
import Jobs
import TestSupport
import Testing

/// Memories, chat sessions and their messages, Q&A history and jobs belong to their user:
/// nobody else reads, finds, changes or deletes them, not even in the same organization.
extension OfflineMemoryAPI {
    @Suite struct Tenancy {
        @Test func anotherUserNeverReadsFindsChangesOrDeletesAnything() async throws {
            let server = try TestServer.shared
            let org = TestServer.newUser("org")
            let alice = server.token(TestServer.newUser("alice"), org: org)
            let bob = server.token(TestServer.newUser("bob"), org: org)
            let carol = server.newToken("carol")

            let created = try await server.createMemory(alice, "My bank PIN is 8841.", ["tags": ["secret"], "category": "finance"])
            let memory = try #require(created["id"]?.string)
            let job = try #require(created["job_id"]?.int)
            try await server.waitEnriched(alice, memory)
            let session = try await server.createSession(alice, ["title": "Alice's private chat"])
            let sent = try await server.sendAndExtract(alice, session, "I keep my passport in the top drawer.")
            let extraction = try #require(sent["extraction_job_id"]?.int)
            let asked = try server.data(try await server.post("/qa/ask", token: alice, ["question": "What is my bank PIN?"]), 200, "alice asks")
            #expect(asked["citations"]?.array?.contains { $0["id"]?.string == memory } == true, "Alice's own memory is cited: \(asked)")
            let aliceMemories = try await server.list(alice)["total"]?.int

            for (name, other) in [("bob", bob), ("carol", carol)] {
                expectNotFound(try await server.get("/memories/\(memory)", token: other), "\(name) GET")
                expectNotFound(try await server.put("/memories/\(memory)", token: other, ["text": "My bank PIN is 0000."]), "\(name) PUT")
                expectNotFound(try await server.delete("/memories/\(memory)", token: other), "\(name) DELETE")
                let list = try await server.list(other, "?limit=100")
                #expect(list["total"]?.int == 0 && list["items"]?.array?.isEmpty == true, "\(name) lists nothing: \(list)")
                #expect(try await server.list(other, "?tags=secret&category=finance")["total"]?.int == 0)
                #expect(try await server.search(other, "What is my bank PIN?", ["threshold": 0]).isEmpty, "\(name) finds nothing")
                #expect(try await server.search(other, "passport drawer", ["threshold": 0]).isEmpty, "\(name) finds nothing")
                let batch = try server.data(try await server.post("/memories/batch", token: other, ["operations": [
                    ["op": "update", "id": memory, "text": "My bank PIN is 1111."], ["op": "delete", "id": memory],
                ]]), 200, "\(name) batch")
                #expect(batch["results"]?.array?.allSatisfy { $0["success"]?.bool == false && $0["error"]?["code"]?.string == "RESOURCE_NOT_FOUND" } == true, "\(batch)")

                let sessions = try server.data(try await server.get("/chat/sessions", token: other))
                #expect(sessions["total"]?.int == 0 && sessions["items"]?.array?.isEmpty == true, "\(name) sees no sessions: \(sessions)")
                expectNotFound(try await server.get("/chat/sessions/\(session)/messages", token: other), "\(name) reads messages")
                expectNotFound(try await server.post("/chat/sessions/\(session)/messages", token: other, ["content": "I am Alice now."]), "\(name) writes")
                expectNotFound(try await server.post("/chat/sessions/\(session)/extract-memories", token: other, [:]), "\(name) extracts")

                let history = try server.data(try await server.get("/qa/history", token: other))
                #expect(history["total"]?.int == 0 && history["items"]?.array?.isEmpty == true, "\(name) sees no Q&A: \(history)")
                let answer = try server.data(try await server.post("/qa/ask", token: other, ["question": "What is my bank PIN?"]), 200, "\(name) asks")
                #expect(answer["citations"]?.array?.isEmpty == true, "\(name)'s answer cites none of Alice's: \(answer)")
                #expect(answer["answer"]?.string?.contains("8841") == false)
                let own = try await server.createSession(other)
                let reply = try await server.sendMessage(other, own, "What is my bank PIN? Where is my passport?")
                #expect(reply["memories_used"]?.array?.isEmpty == true, "\(name)'s chat uses none of Alice's memories: \(reply)")
                #expect(reply["assistant_message"]?["content"]?.string?.contains("8841") == false)

                for id in [job, extraction] {
                    expectNotFound(try await server.get("/jobs/\(id)", token: other), "\(name) GET Alice's job \(id)")
                }
            }
            let still = try await server.memory(alice, memory)
            #expect(still["text"]?.string == "My bank PIN is 8841." && still["version"]?.int == 2, "untouched (created, enriched): \(still)")
            #expect(try await server.list(alice)["total"]?.int == aliceMemories)
            let messages = try server.data(try await server.get("/chat/sessions/\(session)/messages", token: alice))
            #expect(messages["total"]?.int == 2, "Alice's session has only her exchange: \(messages)")
            #expect(try server.data(try await server.get("/qa/history", token: alice))["total"]?.int == 1)
            for id in [job, extraction] {
                let shown = try server.data(try await server.get("/jobs/\(id)", token: alice), 200, "Alice's job \(id)")
                #expect(shown["id"]?.int == id && shown["state"]?.string == "completed", "\(shown)")
            }
        }

        @Test func aJobShowsItsOwnerStateAttemptsAndLastErrorAndNobodyElse() async throws {
            let server = try TestServer.shared
            let owner = TestServer.newUser("owner")
            let failing = try await JobQueue().enqueue(NewJob(
                kind: "diagnostic.sleep", args: #"{"milliseconds": 1, "failAttempts": 5}"#,
                options: JobOptions(queue: "default", maxAttempts: 1, ownerUserID: owner)), pool: server.pool)
            var shown: JSON?
            try await eventually("the failing job to fail", timeout: .seconds(120), interval: .milliseconds(50)) {
                shown = try server.data(try await server.get("/jobs/\(failing.id)", token: server.token(owner)), 200, "owner's job")
                return shown?["state"]?.string == "failed"
            }
            let job = try #require(shown)
            #expect(job["id"]?.int == failing.id && job["kind"]?.string == "diagnostic.sleep", "\(job)")
            let attempts = job["attempts"]?.int ?? job["attempt"]?.int
            #expect(attempts == 1, "the attempts are shown: \(job)")
            #expect(job["last_error"]?.string?.contains("planned failure on attempt 1") == true, "the last error is shown: \(job)")
            expectNotFound(try await server.get("/jobs/\(failing.id)", token: server.newToken("stranger")), "another user")

            let unowned = try await JobQueue().enqueue(NewJob(kind: "diagnostic.noop"), pool: server.pool)
            expectNotFound(try await server.get("/jobs/\(unowned.id)", token: server.token(owner)), "a job nobody owns is nobody's")
        }
    }
}
