import Foundation
import TestSupport
import Testing

/// Analytics figures equal what the test did, up to this minute.
@Suite(.timeLimit(.minutes(10))) struct AnalyticsTests {
    @Test func usageMemoriesAndTrendsCountWhatTheUserDid() async throws {
        try await TestServer.run { server in
            let token = server.token(TestServer.newUser("analytics"))
            var requests = 0
            var ids = [String]()
            for (text, category, emotion) in [("I work at Acme.", "work", "neutral"), ("I lead the data team.", "work", "happy"), ("I flew to Oslo.", "travel", "excited")] {
                let memory = try server.data(try await server.post("/memories", token: token, ["text": text, "category": category, "emotion": emotion]), 201)
                ids.append(try #require(memory["id"]?.string))
                requests += 1
            }
            _ = try server.data(try await server.delete("/memories/\(ids[0])", token: token))
            requests += 1
            let session = try server.data(try await server.post("/chat/sessions", token: token, ["title": "t", "auto_extract": false]), 201)
            requests += 1
            let sessionID = try #require(session["id"]?.string)
            for message in ["Hello there.", "What do I do?"] {
                _ = try server.data(try await server.post("/chat/sessions/\(sessionID)/messages", token: token, ["content": message]), 201)
                requests += 1
            }
            _ = try server.data(try await server.post("/qa/ask", token: token, ["question": "Where did I fly?"]))
            requests += 1
            let added = try await server.send("POST", "/context/add", token: token, body: .json(["documents": [["content": "Notes."]], "source": "s"]))
            #expect(added.status == 201)
            requests += 1

            let usage = try server.data(try await server.get("/analytics/usage", token: token))
            requests += 1
            #expect(usage["requests"]?["total"]?.int == requests, "\(usage)")
            #expect(usage["requests"]?["ai"]?.int == 3)
            #expect(usage["usage"]?["ai_operations"]?.int == 3)
            #expect(usage["totals"]?["memories"]?.int == 2)
            #expect(usage["totals"]?["documents"]?.int == 1)
            #expect(usage["totals"]?["chat_sessions"]?.int == 1)
            #expect(usage["totals"]?["chat_messages"]?.int == 4)
            #expect(usage["totals"]?["questions"]?.int == 1)

            let memories = try server.data(try await server.get("/analytics/memories", token: token))
            requests += 1
            #expect(memories["total"]?.int == 2)
            #expect(memories["by_category"]?["work"]?.int == 1 && memories["by_category"]?["travel"]?.int == 1)
            #expect(memories["by_emotion"]?["excited"]?.int == 1 && memories["by_emotion"]?["neutral"] == nil)
            #expect(memories["by_source"]?["manual"]?.int == 2)
            #expect(memories["created_in_range"]?.int == 2)
            let growth = try #require(memories["growth"]?.array)
            #expect(growth.count >= 30 && growth.count <= 32, "\(growth.count) days")
            #expect(growth.last?["total"]?.int == 2 && growth.last?["created"]?.int == 2)
            #expect(growth.first?["total"]?.int == 0)

            let today = Date().formatted(.iso8601.year().month().day())
            let days = try server.data(try await server.get("/analytics/trends?bucket=day&start_date=\(today)&end_date=\(today)", token: token))
            requests += 1
            let series = try #require(days["series"]?.array)
            #expect(series.count == 1)
            #expect(series[0]["start"]?.string == today)
            #expect(series[0]["memories_created"]?.int == 3)
            #expect(series[0]["chat_messages"]?.int == 2)
            #expect(series[0]["questions"]?.int == 1)
            #expect(series[0]["documents_added"]?.int == 1)
            #expect(series[0]["ai_operations"]?.int == 3)
            #expect(series[0]["requests"]?.int == requests)

            let weeks = try server.data(try await server.get("/analytics/trends?bucket=week&metrics=memories_created,questions", token: token))
            let points = try #require(weeks["series"]?.array)
            #expect(points.count >= 5 && points.count <= 6)
            #expect(points.reduce(0) { $0 + ($1["memories_created"]?.int ?? 0) } == 3)
            #expect(points.allSatisfy { $0["requests"] == nil })
            let spaced = try server.data(try await server.get("/analytics/trends?metrics=+questions%09,requests", token: token))
            #expect(spaced["metrics"]?.array?.compactMap(\.string) == ["questions", "requests"], "spaces (a + too, as forms write them) and tabs around names are trimmed: \(spaced)")

            for (query, field) in [("bucket=month", "bucket"), ("start_date=2026-02-01&end_date=2026-01-01", "start_date"),
                                   ("start_date=2020-01-01&end_date=2026-01-01", "start_date"), ("start_date=yesterday", "start_date"),
                                   ("metrics=bananas", "metrics"), ("start_date=0000-01-01&end_date=0000-01-10", "end_date"),
                                   ("start_date=0000-12-01", "start_date"), ("metrics=", "metrics"), ("metrics=questions,,requests", "metrics"),
                                   ("bucket=", "bucket"), ("end_date=", "end_date"), ("metrics=requests%00", "metrics"), ("metrics=%FF", "metrics")] {
                server.expectError(try await server.get("/analytics/trends?\(query)", token: token), 422, code: "VALIDATION_ERROR", field: field)
            }
            let reader = server.token(TestServer.newUser("noanalytics"), scopes: ["memories:read"])
            server.expectError(try await server.get("/analytics/usage", token: reader), 403, code: "INSUFFICIENT_PERMISSIONS")
        }
    }

    /// Daily growth counts each live memory into its day and keeps a running total that
    /// starts with the memories made before the range (one pass over them, however long the
    /// range).
    @Test func memoryGrowthCountsDaysAndRunningTotals() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let user = TestServer.newUser("growth")
            let token = server.token(user)
            for (text, day) in [("Before the range.", "2026-01-01T10:00:00Z"), ("On the third.", "2026-01-03T23:59:00Z"),
                                ("On the fifth.", "2026-01-05T00:00:00Z"), ("After the range.", "2026-01-06T08:00:00Z")] {
                let memory = try server.data(try await server.post("/memories", token: token, ["text": text, "category": "misc", "emotion": "neutral"]), 201)
                let id = try #require(memory["id"]?.string.flatMap(UUID.init(uuidString:)))
                _ = try await server.pool.query("UPDATE memories SET created_at = \(day)::timestamptz WHERE id = \(id)")
            }
            let memories = try server.data(try await server.get("/analytics/memories?start_date=2026-01-02&end_date=2026-01-05", token: token))
            let growth = try #require(memories["growth"]?.array)
            let points = growth.map { [$0["date"]?.string ?? "?", String($0["created"]?.int ?? -1), String($0["total"]?.int ?? -1)] }
            #expect(points == [["2026-01-02", "0", "1"], ["2026-01-03", "1", "2"], ["2026-01-04", "0", "2"], ["2026-01-05", "1", "3"]], "\(growth)")
            #expect(memories["created_in_range"]?.int == 2, "\(memories)")
        }
    }
}
