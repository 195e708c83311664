import Foundation
import Postgres
import TestSupport
import Testing

/// Billing figures equal what the test did; the rollup closes months once.
@Suite(.timeLimit(.minutes(10))) struct BillingTests {
    @Test func limitsFollowThePlanAndRateLimitsOverrideTheDefaultPlan() async throws {
        try await TestServer.runMetered(["RATE_LIMITS": "standard=500,ai=7"], workerQueues: nil) { server in
            let user = TestServer.newUser("plans")
            let token = server.token(user)
            let free = try server.data(try await server.get("/billing/limits", token: token))
            #expect(free["plan"]?.string == "free")
            #expect(free["rate_limits"]?["standard"]?["limit"]?.int == 500)
            #expect(free["rate_limits"]?["search"]?["limit"]?.int == 300)
            #expect(free["rate_limits"]?["ai"]?["limit"]?.int == 7)
            #expect(free["rate_limits"]?["batch"]?["window"]?.string == "hour")
            #expect(free["quotas"]?["searches"]?.int == 10_000)
            #expect(free["monthly_price_cents"]?.int == 0)

            let (status, _, _) = try await ChildProcess.run("context0-admin", ["users", "set-plan", user, "pro"], environment: ["DATABASE_URL": server.database.url])
            #expect(status == 0)
            let pro = try server.data(try await server.get("/billing/limits", token: token))
            #expect(pro["plan"]?.string == "pro")
            #expect(pro["rate_limits"]?["standard"]?["limit"]?.int == 10_000)
            #expect(pro["monthly_price_cents"]?.int == 4900)
            #expect(pro["unit_prices_cents"]?["searches"]?.number == 0.01)
            let reader = server.token(TestServer.newUser("nobilling"), scopes: ["memories:read"])
            server.expectError(try await server.get("/billing/limits", token: reader), 403, code: "INSUFFICIENT_PERMISSIONS")
        }
    }

    @Test func currentUsageIsWhatTheUserDidThisVeryMinute() async throws {
        try await TestServer.runMetered(workerQueues: nil) { server in
            let token = server.token(TestServer.newUser("usage"))
            var standard = 0, search = 0, ai = 0
            for index in 0..<3 {
                _ = try server.data(try await server.post("/memories", token: token, ["text": "I like tea number \(index)."]), 201)
                standard += 1
            }
            for _ in 0..<2 {
                _ = try server.data(try await server.post("/memories/search", token: token, ["query": "tea"]))
                search += 1
            }
            _ = try server.data(try await server.post("/qa/ask", token: token, ["question": "What do I like?"]))
            ai += 1
            let content = "Our office is in Lisbon, near the river."
            let added = try await server.send("POST", "/context/add", token: token, body: .json(["documents": [["content": content]], "source": "notes"]))
            #expect(added.status == 201, "\(added)")
            standard += 1

            let usage = try server.data(try await server.get("/billing/usage", token: token))
            standard += 1  // this request is counted before it is answered
            #expect(usage["plan"]?.string == "free")
            #expect(usage["requests"]?["standard"]?.int == standard)
            #expect(usage["requests"]?["search"]?.int == search)
            #expect(usage["requests"]?["ai"]?.int == ai)
            #expect(usage["metrics"]?["searches"]?["used"]?.int == search)
            #expect(usage["metrics"]?["searches"]?["quota"]?.int == 10_000)
            #expect(usage["metrics"]?["searches"]?["remaining"]?.int == 10_000 - search)
            #expect(usage["metrics"]?["ai_operations"]?["used"]?.int == 1)
            #expect(usage["metrics"]?["stored_bytes"]?["used"]?.int == content.utf8.count)
            #expect(usage["estimated_total_cents"]?.int == 0)
            let start = try #require(usage["period"]?["start"]?.string)
            #expect(start.hasSuffix("-01T00:00:00.000Z"), "\(start)")

            // Deleting context gives its bytes back.
            let deleted = try await server.send("POST", "/context/delete", token: token, body: .json(["source": "notes"]))
            #expect(deleted.status == 204, "\(deleted)")
            let after = try server.data(try await server.get("/billing/usage", token: token))
            #expect(after["metrics"]?["stored_bytes"]?["used"]?.int == 0, "\(after)")
        }
    }

    /// Last month's usage (written into the hourly counters by hand) is rolled up and closed
    /// into one bill priced by the plan; running the rollup again changes nothing.
    @Test func theRollupClosesEndedMonthsOnceAndIsIdempotent() async throws {
        try await TestServer.runMetered(["BILLING_ROLLUP_INTERVAL_MS": "400"]) { server in
            let user = TestServer.newUser("bill")
            let token = server.token(user)
            _ = try server.data(try await server.get("/billing/history", token: token))  // creates the user
            try await server.pool.query("UPDATE users SET plan = 'pro' WHERE id = \(user)")
            let lastMonth = "date_trunc('month', now(), 'UTC') - interval '20 days'"
            try await server.pool.query("""
                INSERT INTO usage_hourly (user_id, metric, hour, quantity) VALUES
                    (\(user), 'requests.search', date_trunc('hour', \(unsafeRaw: lastMonth)), 150000),
                    (\(user), 'requests.search', date_trunc('hour', \(unsafeRaw: lastMonth) + interval '1 day'), 50500),
                    (\(user), 'llm_tokens', date_trunc('hour', \(unsafeRaw: lastMonth)), 5000100),
                    (\(user), 'ai_operations', date_trunc('hour', \(unsafeRaw: lastMonth)), 12),
                    (\(user), 'stored_bytes', date_trunc('hour', \(unsafeRaw: lastMonth)), 2048)
                """)
            try await eventually("last month to be closed", timeout: .seconds(120)) {
                try await server.pool.query("SELECT count(*)::bigint AS n FROM billing_periods WHERE user_id = \(user)").first!.decode("n", as: Int.self) == 1
            }
            let history = try server.data(try await server.get("/billing/history", token: token))
            #expect(history["total"]?.int == 1)
            let bill = try #require(history["items"]?[0])
            #expect(bill["plan"]?.string == "pro")
            #expect(bill["base_price_cents"]?.int == 4900)
            let lines = Dictionary(uniqueKeysWithValues: (bill["line_items"]?.array ?? []).map { ($0["metric"]?.string ?? "", $0) })
            #expect(lines["searches"]?["quantity"]?.int == 200_500)
            #expect(lines["searches"]?["included"]?.int == 200_000)
            #expect(lines["searches"]?["overage"]?.int == 500)
            #expect(lines["searches"]?["amount_cents"]?.number == 5)
            #expect(lines["llm_tokens"]?["overage"]?.int == 100)
            #expect(lines["llm_tokens"]?["amount_cents"]?.number == 0.05)
            #expect(lines["ai_operations"]?["quantity"]?.int == 12 && lines["ai_operations"]?["overage"]?.int == 0)
            #expect(lines["stored_bytes"]?["quantity"]?.int == 2048)
            #expect(bill["total_cents"]?.int == 4905)

            // Monthly totals equal the hourly ones; more ticks of the rollup change nothing.
            let monthly = try await monthlyTotals(server, user)
            #expect(monthly["requests.search"] == 200_500 && monthly["llm_tokens"] == 5_000_100, "\(monthly)")
            let before = try await server.pool.query("SELECT max(updated_at) AS t FROM usage_monthly WHERE user_id = \(user) AND month < date_trunc('month', now(), 'UTC')").first!.decode("t", as: Date.self)
            let ticks: Int = try await server.pool.query("SELECT count(*)::bigint AS n FROM jobs WHERE kind = 'billing.rollup' AND state = 'completed'").first!.decode("n")
            try await eventually("three more rollups", timeout: .seconds(120)) {
                try await server.pool.query("SELECT count(*)::bigint AS n FROM jobs WHERE kind = 'billing.rollup' AND state = 'completed'").first!.decode("n", as: Int.self) >= ticks + 3
            }
            #expect(try await monthlyTotals(server, user) == monthly)
            #expect(try await server.pool.query("SELECT max(updated_at) AS t FROM usage_monthly WHERE user_id = \(user) AND month < date_trunc('month', now(), 'UTC')").first!.decode("t", as: Date.self) == before)
            let again = try server.data(try await server.get("/billing/history", token: token))
            #expect(again["total"]?.int == 1 && again["items"]?[0]?["total_cents"]?.int == 4905)
        }
    }

    private func monthlyTotals(_ server: TestServer, _ user: String) async throws -> [String: Int] {
        var totals = [String: Int]()
        for row in try await server.pool.query("SELECT metric, quantity FROM usage_monthly WHERE user_id = \(user) AND month < date_trunc('month', now(), 'UTC')").rows {
            totals[try row.decode("metric")] = try row.decode("quantity")
        }
        return totals
    }
}

/// A quota the plan sets no price for is a hard cap from the next rollup tick on.
@Suite(.timeLimit(.minutes(10))) struct QuotaTests {
    @Test func aUsedUpFreeQuotaRefusesWhatWouldUseMoreUntilThePlanChanges() async throws {
        try await TestServer.runMetered(["BILLING_ROLLUP_INTERVAL_MS": "300", "RATE_LIMITS": "search=6"]) { server in
            try await server.pool.query(#"UPDATE plans SET quotas = quotas || '{"searches": 3}' WHERE name = 'free'"#)
            let user = TestServer.newUser("quota")
            let token = server.token(user)
            // Subscribed, so the crossing is recorded as an event (its delivery is not the point).
            _ = try await server.createWebhook(token, url: "https://hooks.example.com/quota", events: ["usage.limit_reached"])
            for _ in 0..<3 { _ = try server.data(try await server.post("/memories/search", token: token, ["query": "tea"])) }
            try await eventually("the quota to be marked used up", timeout: .seconds(120)) {
                try await server.pool.query("SELECT quota_exceeded FROM users WHERE id = \(user)").first!.decode("quota_exceeded", as: [String].self) == ["searches"]
            }
            let notices = try await server.pool.query("""
                SELECT data->>'quota' AS quota, data->>'plan' AS plan FROM webhook_events WHERE user_id = \(user) AND type = 'usage.limit_reached'
                """).rows
            #expect(notices.count == 1)
            #expect(try notices.first?.decode("quota", as: String.self) == "searches" && notices.first?.decode("plan", as: String.self) == "free")
            let refused = try await server.post("/memories/search", token: token, ["query": "tea"])
            server.expectError(refused, 429, code: "QUOTA_EXCEEDED")
            #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 > 0)
            // Other classes go on.
            _ = try server.data(try await server.post("/memories", token: token, ["text": "I like tea."]), 201)
            // Refused searches (by the quota, or by the rate limit) are not billed.
            for _ in 0..<3 { _ = try await server.post("/memories/search", token: token, ["query": "tea"]) }
            let usage = try server.data(try await server.get("/billing/usage", token: token))
            #expect(usage["metrics"]?["searches"]?["used"]?.int == 3, "\(usage)")
            #expect(usage["requests"]?["search"]?.int == 7)
            // A plan that prices searches lifts the cap at the next tick.
            try await server.pool.query("UPDATE users SET plan = 'pro' WHERE id = \(user)")
            try await eventually("the cap to lift", timeout: .seconds(120)) {
                try await server.pool.query("SELECT quota_exceeded FROM users WHERE id = \(user)").first!.decode("quota_exceeded", as: [String].self) == []
            }
            _ = try server.data(try await server.post("/memories/search", token: token, ["query": "tea"]))
        }
    }
}

/// `METERING=off`: no limits, no counting, no limit headers; users are still created and a
/// disabled one is still refused.
@Suite(.timeLimit(.minutes(10))) struct MeteringOffTests {
    @Test func withoutMeteringNothingIsCountedOrLimited() async throws {
        try await TestServer.runMetered(["METERING": "off", "RATE_LIMITS": "standard=2"], workerQueues: nil) { server in
            let user = TestServer.newUser("unmetered")
            let token = server.token(user)
            for _ in 0..<4 {
                let answer = try await server.get("/billing/limits", token: token)
                #expect(answer.status == 200, "\(answer)")
                #expect(answer.headers["x-ratelimit-limit"] == nil)
            }
            let counted: Int = try await server.pool.query("SELECT count(*)::bigint AS n FROM usage_hourly WHERE user_id = \(user)").first!.decode("n")
            #expect(counted == 0)
            try await server.pool.query("UPDATE users SET disabled_at = now() WHERE id = \(user)")
            server.expectError(try await server.get("/billing/limits", token: token), 403, code: "USER_DISABLED")
        }
    }
}
