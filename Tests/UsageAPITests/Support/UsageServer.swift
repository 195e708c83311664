import Auth
import Foundation
import Postgres
import TestSupport
import Testing

/// The billing, analytics and webhook requests the usage tests share.
extension TestServer {
    /// A server for one test that counts and limits requests by the plans' own rate limits
    /// (not the generous ones other tests run with), unless `environment` sets `RATE_LIMITS`.
    static func runMetered(
        _ environment: [String: String] = [:], workerQueues: String? = TestServer.workerQueues,
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await run(["RATE_LIMITS": ""].merging(environment) { $1 }, workerQueues: workerQueues, body)
    }

    /// The `data` of a success envelope answered with `status`.
    @discardableResult
    func data(_ answer: HTTPAnswer, _ status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        #expect(answer.status == status, "expected \(status), got \(answer)", sourceLocation: sourceLocation)
        #expect(answer.json?["success"] == .bool(true), "\(answer)", sourceLocation: sourceLocation)
        return try #require(answer.json?["data"], "no data in \(answer)", sourceLocation: sourceLocation)
    }

    /// A validation error (422 with the field) or another error with its code.
    func expectError(_ answer: HTTPAnswer, _ status: Int, code: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == status, "expected \(status), got \(answer)", sourceLocation: sourceLocation)
        #expect(answer.json?["success"] == .bool(false), "\(answer)", sourceLocation: sourceLocation)
        #expect(answer.json?["error"]?["code"]?.string == code, "\(answer)", sourceLocation: sourceLocation)
        if let field { #expect(answer.json?["error"]?["field"]?.string == field, "\(answer)", sourceLocation: sourceLocation) }
    }

    /// `POST /webhooks` (201): its id and secret.
    func createWebhook(_ token: String, url: String, events: [String] = ["*"]) async throws -> (id: String, secret: String) {
        let data = try data(try await post("/webhooks", token: token, ["url": url, "events": events, "description": "test"]), 201)
        return (try #require(data["id"]?.string), try #require(data["secret"]?.string))
    }

    /// The webhook's delivery log, newest first.
    func deliveries(_ token: String, webhook: String) async throws -> [JSON] {
        try data(try await get("/webhooks/\(webhook)/deliveries?limit=100", token: token))["items"]?.array ?? []
    }
}
