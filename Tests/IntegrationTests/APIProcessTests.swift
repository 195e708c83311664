import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// `context0-api` run as a process on a free port.
@Suite struct APIProcessTests {
    @Test func pingAnswersPongAndSigtermStopsTheServerCleanly() async throws {
        try await TestDatabase.with { database, _ in
            let port = try freePort()
            let api = try ChildProcess("context0-api", environment: [
                "DATABASE_URL": database.url, "HOST": "127.0.0.1", "PORT": String(port), "LOG_LEVEL": "notice",
            ])
            defer { api.stopNow() }
            let url = URL(string: "http://127.0.0.1:\(port)/api/v1/ping")!
            var answer: (data: Data, response: URLResponse)?
            try await eventually("the API to answer on port \(port)", timeout: .seconds(120), interval: .milliseconds(50)) {
                try api.requireRunning()
                answer = try? await URLSession.shared.data(from: url)
                return answer != nil
            }
            let response = try #require(answer?.response as? HTTPURLResponse)
            #expect(response.statusCode == 200)
            #expect((response.value(forHTTPHeaderField: "Content-Type") ?? "").contains("application/json"))
            let body = try #require(try JSONSerialization.jsonObject(with: answer!.data) as? [String: Any])
            #expect(Set(body.keys) == ["success", "message", "data"])
            #expect(body["success"] as? Bool == true)
            #expect(body["message"] as? String == "pong")
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["version"] as? String == "1.0.0")
            #expect(data["database"] as? String == "ok")

            api.signal(SIGTERM)
            let status = try await api.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "stderr: \(api.errorOutput)")
            #expect(api.process.terminationReason == .exit)
        }
    }
}
