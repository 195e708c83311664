import Auth
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// Rate limits are per user and class, held in PostgreSQL across API processes.
@Suite struct RateLimitTests {
    @Test func theLimitHoldsAcrossTwoAPIProcessesAndEveryAnswerCarriesTheHeaders() async throws {
        try await TestDatabase.with { database, _ in
            let secret = "rate-limit-secret-padded-to-thirty-two-bytes"
            let environment = [
                "DATABASE_URL": database.url, "JWT_SECRET": secret, "RATE_LIMITS": "standard=6,search=2", "LOG_LEVEL": "warning",
            ]
            let first = try await ChildProcess.api(environment: environment)
            defer { first.process.stopNow() }
            let second = try await ChildProcess.api(environment: environment)
            defer { second.process.stopNow() }
            try await awaitWholeRateWindow()
            let apis = [first.process, second.process]
            let ports = [first.port, second.port]
            let token = try JSONWebToken(secret: secret).sign(.init(sub: "limited-user", exp: Date().timeIntervalSince1970 + 600))
            let other = try JSONWebToken(secret: secret).sign(.init(sub: "another-user", exp: Date().timeIntervalSince1970 + 600))

            var statuses = [Int]()
            var remaining = [Int]()
            for index in 0..<8 {
                // Alternate processes; an unknown memory id answers 404 but still counts.
                let path = index % 3 == 0 ? "/api/v1/memories/00000000-0000-4000-8000-000000000000" : "/api/v1/memories"
                let (status, headers) = try await get("http://127.0.0.1:\(ports[index % 2])\(path)", token: token)
                statuses.append(status)
                #expect(headers["X-RateLimit-Limit"] == "6", "answer \(index): \(headers)")
                #expect(Int(headers["X-RateLimit-Reset"] ?? "") ?? 0 > Int(Date().timeIntervalSince1970))
                remaining.append(Int(headers["X-RateLimit-Remaining"] ?? "-1") ?? -1)
                if status == 429 { #expect(Int(headers["Retry-After"] ?? "") ?? 0 >= 1) }
            }
            #expect(statuses.prefix(6).allSatisfy { $0 != 429 }, "\(statuses)")
            #expect(statuses.suffix(2) == [429, 429], "\(statuses)")
            #expect(remaining == [5, 4, 3, 2, 1, 0, 0, 0])
            // Another user, and another class, have their own budgets.
            #expect(try await get("http://127.0.0.1:\(ports[0])/api/v1/memories", token: other).status == 200)
            // A new user's first requests, all at once: every one is answered, the API lives.
            let newcomer = try JSONWebToken(secret: secret).sign(.init(sub: "newcomer-\(UUID())", exp: Date().timeIntervalSince1970 + 600))
            let firsts = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask { try await get("http://127.0.0.1:\(ports[index % 2])/api/v1/memories", token: newcomer).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // Six fit in the limit of six; the rest are refused, none fails.
            #expect(firsts.sorted() == [200, 200, 200, 200, 200, 200, 429, 429], "\(firsts)")
            #expect(apis.allSatisfy { $0.process.isRunning })
            let search = try await post("http://127.0.0.1:\(ports[1])/api/v1/memories/search", token: token, body: #"{"query": "x"}"#)
            #expect(search.status == 200)
            #expect(search.headers["X-RateLimit-Limit"] == "2")
        }
    }

    private func get(_ url: String, token: String) async throws -> (status: Int, headers: [String: String]) {
        try await send(URLRequest(url: URL(string: url)!), token: token)
    }

    private func post(_ url: String, token: String, body: String) async throws -> (status: Int, headers: [String: String]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return try await send(request, token: token)
    }

    private func send(_ request: URLRequest, token: String) async throws -> (status: Int, headers: [String: String]) {
        var request = request
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers = [String: String]()
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key] = value }
        }
        return (http.statusCode, headers)
    }
}
