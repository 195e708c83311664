import Core
import Foundation
import Postgres
import TestSupport
import Testing

/// Webhooks end to end: a real API and worker, a real receiver on loopback.
@Suite(.timeLimit(.minutes(10))) struct WebhookTests {
    /// Fast retries and disabling after five failed attempts. The time-out stays generous:
    /// the whole suite runs in parallel on a small machine, where a receiver on loopback can
    /// take a second to answer.
    static let deliverySettings = [
        "WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_RETRY_BASE_MS": "100", "WEBHOOK_MAX_ATTEMPTS": "3",
        "WEBHOOK_DISABLE_AFTER": "5", "WEBHOOK_TIMEOUT_MS": "15000",
    ]

    @Test func managementValidationAndTenancy() async throws {
        try await TestServer.runMetered(workerQueues: nil) { server in
            let owner = server.token(TestServer.newUser("owner"))
            let other = server.token(TestServer.newUser("other"))
            let created = try server.data(try await server.post("/webhooks", token: owner, [
                "url": "https://hooks.example.com/context0", "events": ["memory.created", "job.failed"], "description": "mine",
            ]), 201)
            let id = try #require(created["id"]?.string)
            #expect(created["secret"]?.string?.hasPrefix("whsec_") == true)
            #expect(Data(base64Encoded: String(created["secret"]!.string!.dropFirst(6)))?.count == 32)
            #expect(created["events"]?.array?.compactMap(\.string) == ["memory.created", "job.failed"])
            #expect(created["enabled"]?.bool == true)

            let shown = try server.data(try await server.get("/webhooks/\(id)", token: owner))
            #expect(shown["url"]?.string == "https://hooks.example.com/context0")
            #expect(shown["secret"] == nil, "the secret is shown only on create")
            let listed = try server.data(try await server.get("/webhooks", token: owner))
            #expect(listed["total"]?.int == 1)
            #expect(listed["items"]?[0]?["id"]?.string == id)
            #expect(try server.data(try await server.get("/webhooks?limit=0", token: owner))["total"]?.int == 1)

            // Someone else's webhook does not exist for them.
            server.expectError(try await server.get("/webhooks/\(id)", token: other), 404, code: "RESOURCE_NOT_FOUND")
            server.expectError(try await server.delete("/webhooks/\(id)", token: other), 404, code: "RESOURCE_NOT_FOUND")
            server.expectError(try await server.post("/webhooks/\(id)/test", token: other), 404, code: "RESOURCE_NOT_FOUND")
            server.expectError(try await server.get("/webhooks/\(id)/deliveries", token: other), 404, code: "RESOURCE_NOT_FOUND")
            #expect(try server.data(try await server.get("/webhooks", token: other))["total"]?.int == 0)
            // Without the scope.
            let reader = server.token(TestServer.newUser("reader"), scopes: ["memories:read"])
            server.expectError(try await server.get("/webhooks", token: reader), 403, code: "INSUFFICIENT_PERMISSIONS")

            // Bad input: each is a 422 naming the field, and nothing is stored.
            let refusals: [([String: Any], String)] = [
                (["events": ["*"]], "url"),
                (["url": "ftp://example.com/x", "events": ["*"]], "url"),
                (["url": "not a url", "events": ["*"]], "url"),
                (["url": "https://user:pw@example.com/x", "events": ["*"]], "url"),
                (["url": "http://127.0.0.1:9/x", "events": ["*"]], "url"),
                (["url": "http://localhost/x", "events": ["*"]], "url"),
                (["url": "http://169.254.169.254/latest/meta-data", "events": ["*"]], "url"),
                (["url": "http://10.1.2.3/x", "events": ["*"]], "url"),
                (["url": "http://[::1]/x", "events": ["*"]], "url"),
                (["url": "http://[::ffff:192.168.0.1]/x", "events": ["*"]], "url"),
                (["url": "http://[::127.0.0.1]/x", "events": ["*"]], "url"),
                (["url": "http://[fd00:ec2::254]/latest", "events": ["*"]], "url"),
                (["url": "http://2130706433/x", "events": ["*"]], "url"),
                (["url": "http://0x7f.1/x", "events": ["*"]], "url"),
                (["url": "http://0177.0.0.1/x", "events": ["*"]], "url"),
                (["url": "http://100.64.0.1/x", "events": ["*"]], "url"),
                (["url": "https://example.com/x"], "events"),
                (["url": "https://example.com/x", "events": []], "events"),
                (["url": "https://example.com/x", "events": ["memory.exploded"]], "events"),
                (["url": "https://example.com/x", "events": [42]], "events"),
                (["url": "https://example.com/x", "events": ["*"], "description": String(repeating: "d", count: 501)], "description"),
            ]
            for (body, field) in refusals {
                server.expectError(try await server.post("/webhooks", token: owner, body), 422, code: "VALIDATION_ERROR", field: field)
            }
            server.expectError(try await server.send("POST", "/webhooks", token: owner, body: .text("{not json")), 400, code: "VALIDATION_ERROR")
            server.expectError(try await server.send("POST", "/webhooks", token: owner, body: .text(#"{"url": "https://example.com/\u0000", "events": ["*"]}"#)), 400, code: "VALIDATION_ERROR")
            server.expectError(try await server.get("/webhooks/not-a-uuid", token: owner), 422, code: "VALIDATION_ERROR", field: "id")
            #expect(try server.data(try await server.get("/webhooks", token: owner))["total"]?.int == 1)

            // Delete, then it is gone.
            #expect(try server.data(try await server.delete("/webhooks/\(id)", token: owner))["deleted"]?.bool == true)
            server.expectError(try await server.get("/webhooks/\(id)", token: owner), 404, code: "RESOURCE_NOT_FOUND")
        }
    }

    @Test func deliveriesAreSignedAsStandardWebhooksSaysAndOnlySubscribedEventsGo() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await TestServer.runMetered(Self.deliverySettings) { server in
            let user = TestServer.newUser("signed")
            let token = server.token(user)
            let hook = try await server.createWebhook(token, url: receiver.baseURL + "/ok/memories", events: ["memory.created", "memory.deleted"])
            let memory = try server.data(try await server.post("/memories", token: token, ["text": "I live in Porto."]), 201)
            let memoryID = try #require(memory["id"]?.string)
            // A request that fails changes nothing and announces nothing.
            _ = try await server.post("/memories", token: token, ["text": ""])
            // Not subscribed: no delivery.
            _ = try server.data(try await server.post("/qa/ask", token: token, ["question": "Where do I live?"]))

            try await eventually("memory.created to arrive", timeout: .seconds(120)) { !receiver.deliveries(to: "/ok/memories").isEmpty }
            let delivery = try #require(receiver.deliveries(to: "/ok/memories").first)
            #expect(delivery.type == "memory.created")
            #expect(delivery.data["memory_id"] as? String == memoryID)
            #expect(delivery.data["text"] as? String == "I live in Porto.")
            #expect(delivery.json["id"] as? String == delivery.headers["webhook-id"])
            #expect(delivery.headers["webhook-id"]?.hasPrefix("evt_") == true)
            #expect(delivery.headers["content-type"] == "application/json")
            let timestamp = try #require(Int(delivery.headers["webhook-timestamp"] ?? ""))
            #expect(abs(timestamp - Int(Date().timeIntervalSince1970)) < 120)
            #expect(delivery.signatureIsValid(secret: hook.secret), "signature \(delivery.headers)")
            #expect(!delivery.signatureIsValid(secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()))

            // The log says delivered, with one attempt.
            try await eventually("the log to say delivered") {
                try await server.deliveries(token, webhook: hook.id).first?["status"]?.string == "delivered"
            }
            let logged = try #require(try await server.deliveries(token, webhook: hook.id).first)
            #expect(logged["event_type"]?.string == "memory.created")
            #expect(logged["attempts"]?.int == 1)
            #expect(logged["response_status"]?.int == 204)
            #expect(logged["attempt_log"]?.array?.count == 1)

            // Deleting the memory is the next event; the question never was one.
            _ = try server.data(try await server.delete("/memories/\(memoryID)", token: token))
            try await eventually("memory.deleted to arrive", timeout: .seconds(120)) { receiver.deliveries(to: "/ok/memories").count >= 2 }
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.deliveries(to: "/ok/memories").compactMap(\.type) == ["memory.created", "memory.deleted"])
            let events: Int = try await server.pool.query("SELECT count(*)::bigint AS n FROM webhook_events WHERE user_id = \(user)").first!.decode("n")
            #expect(events == 2)
        }
    }

    @Test func failedAttemptsAreRetriedWithTheSameIDThenFailVisiblyAndDisableTheWebhook() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await TestServer.runMetered(Self.deliverySettings) { server in
            let token = server.token(TestServer.newUser("retry"))

            // Two 503s, then success: three attempts of one event.
            let flaky = try await server.createWebhook(token, url: receiver.baseURL + "/flaky/2/a")
            let queued = try server.data(try await server.post("/webhooks/\(flaky.id)/test", token: token), 202)
            #expect(queued["event_id"]?.string?.hasPrefix("evt_") == true)
            try await eventually("the flaky delivery to succeed", timeout: .seconds(120)) {
                try await server.deliveries(token, webhook: flaky.id).first?["status"]?.string == "delivered"
            }
            let received = receiver.deliveries(to: "/flaky/2/a")
            #expect(received.count == 3)
            #expect(Set(received.compactMap { $0.headers["webhook-id"] }) == [queued["event_id"]!.string!])
            #expect(received.allSatisfy { $0.signatureIsValid(secret: flaky.secret) && $0.type == "webhook.test" })
            let log = try #require(try await server.deliveries(token, webhook: flaky.id).first)
            #expect(log["attempts"]?.int == 3)
            #expect(log["attempt_log"]?.array?.compactMap { $0["response_status"]?.int } == [503, 503, 204])
            #expect(try server.data(try await server.get("/webhooks/\(flaky.id)", token: token))["consecutive_failures"]?.int == 0)

            // Always failing: three attempts, then the delivery fails for good.
            let failing = try await server.createWebhook(token, url: receiver.baseURL + "/fail/b")
            _ = try server.data(try await server.post("/webhooks/\(failing.id)/test", token: token), 202)
            try await eventually("the failing delivery to fail", timeout: .seconds(120)) {
                try await server.deliveries(token, webhook: failing.id).first?["status"]?.string == "failed"
            }
            let failed = try #require(try await server.deliveries(token, webhook: failing.id).first)
            #expect(failed["attempts"]?.int == 3)
            #expect(failed["error"]?.string == "HTTP 500")
            #expect(receiver.deliveries(to: "/fail/b").count == 3)
            #expect(try server.data(try await server.get("/webhooks/\(failing.id)", token: token))["consecutive_failures"]?.int == 3)

            // Two more failed attempts make five in a row: the webhook is disabled and says why.
            _ = try server.data(try await server.post("/webhooks/\(failing.id)/test", token: token), 202)
            try await eventually("the webhook to be disabled", timeout: .seconds(120)) {
                try server.data(try await server.get("/webhooks/\(failing.id)", token: token))["enabled"]?.bool == false
            }
            let disabled = try server.data(try await server.get("/webhooks/\(failing.id)", token: token))
            #expect(disabled["disabled_reason"]?.string?.contains("5 failed delivery attempts") == true, "\(disabled)")
            #expect(disabled["disabled_reason"]?.string?.contains("HTTP 500") == true)
            server.expectError(try await server.post("/webhooks/\(failing.id)/test", token: token), 422, code: "VALIDATION_ERROR")
            #expect(receiver.deliveries(to: "/fail/b").count == 5)

            // Enabled again, it is sent to (and fails) again.
            let enabled = try server.data(try await server.post("/webhooks/\(failing.id)/enable", token: token))
            #expect(enabled["enabled"]?.bool == true && enabled["consecutive_failures"]?.int == 0 && enabled["disabled_reason"]?.isNull == true)
            _ = try server.data(try await server.post("/webhooks/\(failing.id)/test", token: token), 202)
            try await eventually("a new attempt after enabling", timeout: .seconds(120)) { receiver.deliveries(to: "/fail/b").count >= 6 }

            // Filters on the log.
            let failedOnly = try server.data(try await server.get("/webhooks/\(failing.id)/deliveries?status=failed", token: token))
            #expect((failedOnly["items"]?.array ?? []).allSatisfy { $0["status"]?.string == "failed" })
            server.expectError(try await server.get("/webhooks/\(failing.id)/deliveries?status=lost", token: token), 422, code: "VALIDATION_ERROR", field: "status")
        }
    }

    @Test func redirectsAreFollowed() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await TestServer.runMetered(Self.deliverySettings) { server in
            let token = server.token(TestServer.newUser("redirect"))
            // A test event reaches its webhook whatever the webhook subscribes to.
            let moved = try await server.createWebhook(token, url: receiver.baseURL + "/redirect/ok/moved", events: ["memory.created"])
            _ = try server.data(try await server.post("/webhooks/\(moved.id)/test", token: token), 202)
            try await eventually("the redirected delivery", timeout: .seconds(120)) {
                try await server.deliveries(token, webhook: moved.id).first?["status"]?.string == "delivered"
            }
            #expect(receiver.deliveries(to: "/redirect/ok/moved").count == 1)
            #expect(receiver.deliveries(to: "/ok/moved").count == 1)
            #expect(receiver.deliveries(to: "/ok/moved").first?.signatureIsValid(secret: moved.secret) == true)
        }
    }

    @Test func slowReceiversTimeOut() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        // The receiver answers after 30 s; the time-out is 2 s.
        try await TestServer.runMetered(Self.deliverySettings.merging(["WEBHOOK_TIMEOUT_MS": "2000"]) { $1 }) { server in
            let token = server.token(TestServer.newUser("slow"))
            let slow = try await server.createWebhook(token, url: receiver.baseURL + "/slow/c")
            _ = try server.data(try await server.post("/webhooks/\(slow.id)/test", token: token), 202)
            try await eventually("a timed-out attempt", timeout: .seconds(120)) {
                try await server.deliveries(token, webhook: slow.id).first?["attempt_log"]?.array?.first?["error"]?.string?.contains("timed out") == true
            }
        }
    }

    /// The SSRF guard at delivery: targets that resolve to loopback are refused before any
    /// request is sent, also when the webhook was stored before the guard (or by hand).
    @Test func deliveriesToPrivateAddressesAreRefused() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        var settings = Self.deliverySettings
        settings["WEBHOOK_ALLOW_PRIVATE"] = "0"
        try await TestServer.runMetered(settings) { server in
            let user = TestServer.newUser("ssrf")
            let token = server.token(user)
            // The machine's own name resolves to one of its addresses, which are private or loopback.
            let hostname = ProcessInfo.processInfo.hostName
            for url in [receiver.baseURL + "/ok/literal", "http://\(hostname):\(receiver.port)/ok/named"] {
                let id: UUID = try await server.pool.query("""
                    INSERT INTO webhooks (user_id, url, events, secret) VALUES (\(user), \(url), '{*}', 'whsec_AAAA') RETURNING id
                    """).first!.decode("id")
                _ = try server.data(try await server.post("/webhooks/\(id.uuidString.lowercased())/test", token: token), 202)
                try await eventually("the delivery to \(url) to be refused", timeout: .seconds(120)) {
                    let first = try await server.deliveries(token, webhook: id.uuidString.lowercased()).first
                    return first?["attempt_log"]?.array?.first?["error"]?.string == "target refused"
                }
            }
            #expect(receiver.deliveries.isEmpty)
        }
    }

    /// Events are written with their change: a job failing for good (by any path) is a
    /// `job.failed` event; a rolled-back change leaves no event behind.
    @Test func eventsAreWrittenInTheTransactionOfTheirChange() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await TestServer.runMetered(Self.deliverySettings) { server in
            let user = TestServer.newUser("jobs")
            let token = server.token(user)
            _ = try await server.createWebhook(token, url: receiver.baseURL + "/ok/jobs", events: ["job.failed"])
            let jobID: Int = try await server.pool.query("""
                INSERT INTO jobs (kind, queue, owner_user_id, state, attempt, worker_id, attempted_at)
                VALUES ('test.never-run', 'nobody', \(user), 'running', 1, gen_random_uuid(), now()) RETURNING id
                """).first!.decode("id")
            try await server.pool.query("""
                UPDATE jobs SET state = 'failed', finished_at = now(),
                    errors = '[{"attempt": 1, "error": "it broke"}]' WHERE id = \(jobID)
                """)
            try await eventually("job.failed to arrive", timeout: .seconds(120)) { !receiver.deliveries(to: "/ok/jobs").isEmpty }
            let delivery = try #require(receiver.deliveries(to: "/ok/jobs").first)
            #expect(delivery.type == "job.failed")
            #expect(delivery.data["job_id"] as? Int == jobID)
            #expect(delivery.data["error"] as? String == "it broke")

            // A transaction that emits and then rolls back leaves nothing.
            do {
                try await server.pool.withTransaction { connection in
                    _ = try connection.query("SELECT * FROM emit_webhook_event(\(user), 'job.failed', '{}'::jsonb)")
                    throw RollBack()
                }
            } catch is RollBack {}
            let events: Int = try await server.pool.query("SELECT count(*)::bigint AS n FROM webhook_events WHERE user_id = \(user)").first!.decode("n")
            #expect(events == 1)
        }
    }

    /// Every feature announces its events, with the ids a receiver needs.
    @Test func everyFeatureAnnouncesItsEvents() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await TestServer.runMetered(Self.deliverySettings.merging(["RATE_LIMITS": "search=2"]) { $1 }) { server in
            let token = server.token(TestServer.newUser("events"))
            _ = try await server.createWebhook(token, url: receiver.baseURL + "/ok/all")
            let added = try await server.send("POST", "/context/add", token: token, body: .json(["documents": [["content": "Our office is in Lisbon."]], "source": "notes"]))
            #expect(added.status == 201, "\(added)")
            let memory = try server.data(try await server.post("/memories", token: token, ["text": "I drink green tea."]), 201)
            let memoryID = try #require(memory["id"]?.string)
            _ = try server.data(try await server.send("PUT", "/memories/\(memoryID)", token: token, body: .json(["text": "I drink black tea."])))
            let session = try server.data(try await server.post("/chat/sessions", token: token, ["title": "t"]), 201)
            _ = try server.data(try await server.post("/chat/sessions/\(session["id"]!.string!)/messages", token: token, ["content": "I live in Porto."]), 201)
            _ = try server.data(try await server.post("/qa/ask", token: token, ["question": "Where is the office?"]))
            for _ in 0..<4 { _ = try await server.post("/memories/search", token: token, ["query": "tea"]) }
            try await eventually("the document to be indexed", timeout: .seconds(60)) {
                receiver.deliveries(to: "/ok/all").contains { $0.type == "context.indexed" }
            }
            let deleted = try await server.send("POST", "/context/delete", token: token, body: .json(["source": "notes"]))
            #expect(deleted.status == 204)
            let expected: Set<String> = [
                "context.added", "context.indexed", "context.deleted", "memory.created", "memory.updated", "memories.extracted",
                "chat.message", "qa.answer", "usage.limit_reached",
            ]
            try await eventually("every event type to arrive", timeout: .seconds(60)) {
                expected.isSubset(of: Set(receiver.deliveries(to: "/ok/all").compactMap(\.type)))
            }
            let all = receiver.deliveries(to: "/ok/all")
            // Four searches over a limit of two: one notice, for the first refusal.
            let limits = all.filter { $0.type == "usage.limit_reached" }
            #expect(limits.count == 1)
            #expect(limits.first?.data["class"] as? String == "search" && limits.first?.data["limit"] as? Int == 2)
            let updated = try #require(all.first { $0.type == "memory.updated" })
            #expect(updated.data["memory_id"] as? String == memoryID && updated.data["text"] as? String == "I drink black tea.")
            let extracted = try #require(all.first { $0.type == "memories.extracted" })
            #expect(extracted.data["session_id"] as? String == session["id"]?.string)
            #expect(extracted.data["created"] as? Int == 1)
            #expect(all.first { $0.type == "context.deleted" }?.data["document_ids"] as? [String] == [try #require(all.first { $0.type == "context.added" }?.data["document_id"] as? String)])
        }
    }
}

private struct RollBack: Error {}

/// Old events go, with their delivery logs; recent ones stay.
@Suite struct WebhookPruningTests {
    @Test func eventsOlderThanTheRetentionArePruned() async throws {
        try await TestDatabase.with { _, pool in
            let user = "pruning-user"
            let webhook: UUID = try await pool.query("""
                INSERT INTO webhooks (user_id, url, events, secret) VALUES (\(user), 'https://example.com/h', '{*}', 'whsec_AAAA') RETURNING id
                """).first!.decode("id")
            for _ in 0..<3 { _ = try await pool.query("SELECT * FROM emit_webhook_event(\(user), 'webhook.test', '{}'::jsonb)") }
            // Two old events: one delivered long ago, one still retrying (it stays); one recent.
            let old: [String] = try await pool.query("SELECT id FROM webhook_events ORDER BY created_at, id LIMIT 2").rows.map { try $0.decode("id") }
            try await pool.query("UPDATE webhook_events SET created_at = now() - interval '40 days' WHERE id = ANY(\(old))")
            try await pool.query("UPDATE webhook_deliveries SET status = 'delivered' WHERE event_id = \(old[0])")
            try await pool.query("UPDATE webhook_deliveries SET status = 'retrying' WHERE event_id = \(old[1])")
            let deleted = try await pool.withTransaction { try WebhookStore().pruneEvents(olderThanDays: 30, batch: 1, on: $0) }
            #expect(deleted == 1)
            #expect(try await pool.withTransaction { try WebhookStore().pruneEvents(olderThanDays: 30, on: $0) } == 0)
            let left: [String] = try await pool.query("SELECT event_id FROM webhook_deliveries WHERE webhook_id = \(webhook)").rows.map { try $0.decode("event_id") }
            #expect(left.count == 2 && !left.contains(old[0]) && left.contains(old[1]))
        }
    }
}
