import Foundation
import TestSupport
import Testing

/// Every authenticated answer carries the caller's budget for its rate-limit class, and the
/// request past the budget is refused with 429, `Retry-After` and the error envelope.
/// (That the budget holds across API processes is `IntegrationTests/RateLimitTests`.)
@Suite struct RateLimitHeaderTests {
    @Test func answersCarryTheBudgetAndTheRequestPastItIs429() async throws {
        try await TestServer.run(["RATE_LIMITS": "standard=3,search=2"], workerQueues: nil) { server in
            let token = server.newToken("limited")
            var remaining = [Int]()
            for _ in 0..<3 {
                let answer = try await server.get("/memories", token: token)
                #expect(answer.status == 200, "\(answer)")
                #expect(answer.headers["x-ratelimit-limit"] == "3", "\(answer.headers)")
                #expect(Int(answer.headers["x-ratelimit-reset"] ?? "") ?? 0 > Int(Date().timeIntervalSince1970))
                remaining.append(Int(answer.headers["x-ratelimit-remaining"] ?? "") ?? -1)
            }
            #expect(remaining == [2, 1, 0])

            let refused = try await server.get("/memories", token: token)
            #expect(refused.status == 429, "\(refused)")
            #expect(refused.headers["x-ratelimit-remaining"] == "0")
            #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1, "\(refused.headers)")
            #expect(refused.json?["success"] == .bool(false))
            #expect(refused.json?["error"]?["code"]?.string == "RATE_LIMIT_EXCEEDED", "\(refused)")

            // Search has a budget of its own, and so does every other user.
            let search = try await server.post("/memories/search", token: token, ["query": "x"])
            #expect(search.status == 200, "\(search)")
            #expect(search.headers["x-ratelimit-limit"] == "2")
            #expect(try await server.get("/memories", token: server.newToken("other")).status == 200)
        }
    }

    @Test func unauthenticatedAnswersCarryNoBudget() async throws {
        try await TestServer.run(["RATE_LIMITS": "standard=3"], workerQueues: nil) { server in
            let answer = try await server.get("/memories", token: nil)
            #expect(answer.status == 401)
            #expect(answer.headers["x-ratelimit-limit"] == nil, "\(answer.headers)")
        }
    }
}
