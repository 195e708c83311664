import Auth
import Foundation
import Postgres
import TestSupport
import Testing

let usageTestJWTSecret = "usage-api-tests-secret-6f1d0c9e2b7a4853"

/// A real `context0-api` and `context0-worker` on a fresh database of their own, with the
/// environment a test asks for (webhook settings, rate limits, rollup interval).
final class UsageServer: Sendable {
    let database: TestDatabase
    let pool: PostgresPool
    let api: ChildProcess
    let worker: ChildProcess?
    let http: HTTPClient

    private init(database: TestDatabase, pool: PostgresPool, api: ChildProcess, worker: ChildProcess?, port: Int) {
        self.database = database
        self.pool = pool
        self.api = api
        self.worker = worker
        http = HTTPClient(baseURL: "http://127.0.0.1:\(port)")
    }

    static let workerSettings = ChildProcess.fastWorkerSettings(
        queues: "default=2,ingest=2,embedding=2,extraction=2,maintenance=2,webhooks=8", maintenanceMilliseconds: 300)

    /// Runs `body` with a server started with `environment` (for both processes), with or
    /// without a worker.
    static func run(
        _ environment: [String: String] = [:], worker withWorker: Bool = true, _ body: @Sendable (UsageServer) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database, pool in
            let base = ["LLM_BASE_URL": "", "LLM_MODEL": "", "LLM_API_KEY": "", "DATABASE_URL": database.url, "JWT_SECRET": usageTestJWTSecret]
                .merging(environment) { $1 }
            let (api, port) = try await ChildProcess.api(environment: base)
            defer { api.stopNow() }
            var worker: ChildProcess?
            if withWorker { worker = try await ChildProcess.worker(environment: workerSettings.merging(base) { $1 }, pool: pool) }
            defer { worker?.stopNow() }
            try await body(UsageServer(database: database, pool: pool, api: api, worker: worker, port: port))
        }
    }

    static func newUser(_ label: String = "user") -> String {
        "\(label)-\(UUID().uuidString.prefix(13).lowercased())"
    }

    func token(_ user: String, scopes: [String]? = nil) -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try! JSONWebToken(secret: usageTestJWTSecret).sign(.init(sub: user, scopes: scopes, exp: Double(now + 3600), iat: Double(now)))
    }

    func send(_ method: String, _ path: String, token: String?, body: RequestBody = .none) async throws -> HTTPAnswer {
        try await http.send(method, "/api/v1" + path, token: token, body: body)
    }

    func get(_ path: String, token: String?) async throws -> HTTPAnswer { try await send("GET", path, token: token) }
    func post(_ path: String, token: String?, _ body: Any = [String: Any]()) async throws -> HTTPAnswer {
        try await send("POST", path, token: token, body: .json(body))
    }
    func delete(_ path: String, token: String?) async throws -> HTTPAnswer { try await send("DELETE", path, token: token) }

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
