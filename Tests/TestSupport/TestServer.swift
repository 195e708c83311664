import API
import Auth
import Embedding
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import LLM
import Logging
import NIOCore
import Postgres

/// What API tests run against: the API application built by `buildApplication`, in this
/// process and reached through HummingbirdTesting's router client, on a fresh database of
/// its own; and, unless a test says otherwise, a real `context0-worker` process on the same
/// database for what happens after a request (indexing, enrichment, extraction, webhooks).
///
/// Tests stay independent inside one server by using user ids of their own (`newUser`).
public final class TestServer: Sendable {
    public let database: TestDatabase
    public let pool: PostgresPool
    /// What stands between the API and PostgreSQL, with `run(proxyingDatabase: true)`.
    public let databaseProxy: TCPProxy?
    public let worker: ChildProcess?
    /// The secret the API verifies JWTs with.
    public let jwtSecret: String
    private let client: any TestClientProtocol

    /// The server the enclosing suite started (see `TestServerTrait`).
    @TaskLocal public static var current: TestServer?

    /// The enclosing suite's server.
    public static var shared: TestServer {
        get throws {
            guard let current else { throw HarnessFailure("no TestServer: the suite needs the .testServer trait") }
            return current
        }
    }

    /// Every queue the API's features use, so any job a request queues gets done.
    public static let workerQueues = "default=4,ingest=2,embedding=2,extraction=2,maintenance=2,webhooks=8"

    /// The settings every test server starts with; a test's own environment wins. Rate
    /// limits are high (tests about limits set their own); no language model and the native
    /// embedder with its default files, whatever the environment `make test` runs in says
    /// (empty counts as unset): inherited settings must not change what a test sees.
    public static let baseEnvironment = [
        "JWT_SECRET": "context0-tests-secret-5c2e8a1f7b3d9064",
        "RATE_LIMITS": "standard=1000000,search=1000000,batch=1000000,ai=1000000",
        "METERING": "on",
        "LLM_BASE_URL": "", "LLM_MODEL": "", "LLM_API_KEY": "",
        "EMBEDDER": "", "MINILM_MODEL_DIR": "", "EMBEDDINGS_BASE_URL": "", "EMBEDDINGS_MODEL": "",
        "API_DB_POOL_SIZE": "",
        // Many tests share one API on a loaded two-core machine: a request may wait long for a
        // connection, a new connection or a lock there without anything being wrong (a 2 s
        // connect was seen to expire, and fail-fast then answers 503). The production limits
        // (2 s, 5 s, 10 s, 30 s) are tested where they are the subject (DatabaseLimitsTests,
        // DatabaseOutageTests, ShutdownDeadlineTests), not left to decide other tests.
        "DATABASE_ACQUIRE_TIMEOUT_MS": "120000", "DATABASE_LOCK_TIMEOUT_MS": "120000", "DATABASE_STATEMENT_TIMEOUT_MS": "300000",
        "DATABASE_CONNECT_TIMEOUT_MS": "30000",
        "LOG_LEVEL": "notice",
    ]

    private init(
        database: TestDatabase, pool: PostgresPool, worker: ChildProcess?, jwtSecret: String, client: any TestClientProtocol,
        databaseProxy: TCPProxy? = nil
    ) {
        self.database = database
        self.pool = pool
        self.databaseProxy = databaseProxy
        self.worker = worker
        self.jwtSecret = jwtSecret
        self.client = client
    }

    /// Runs `body` with a fresh database, the API in process and (when `workerQueues` is
    /// not nil) a worker process serving those queues, all started with `environment` over
    /// `baseEnvironment`; stops them and drops the database afterwards.
    ///
    /// With `proxyingDatabase`, the API (not the worker, not `pool`) reaches PostgreSQL through
    /// a `TCPProxy` (`databaseProxy`) that the test can make refuse or stop answering.
    public static func run(
        _ environment: [String: String] = [:], workerQueues: String? = TestServer.workerQueues, proxyingDatabase: Bool = false,
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        // A test that sets its own (small) limits counts on them within one window.
        if environment["RATE_LIMITS"] != nil { try await awaitWholeRateWindow() }
        // Only servers with a worker take a slot: a worker process is what the machine
        // cannot carry many of at once (see ServerSlots).
        if workerQueues == nil {
            try await start(environment, workerQueues: nil, proxyingDatabase: proxyingDatabase, body)
        } else {
            try await ServerSlots.shared.withSlot {
                try await start(environment, workerQueues: workerQueues, proxyingDatabase: proxyingDatabase, body)
            }
        }
    }

    private static func start(
        _ environment: [String: String], workerQueues: String?, proxyingDatabase: Bool, _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database, pool in
            // Inherited variables come last (ChildProcess puts them under what it is given).
            let settings = baseEnvironment.merging(environment) { $1 }.merging(["DATABASE_URL": database.url]) { $1 }
            let proxy = try proxyingDatabase ? TCPProxy(inFrontOf: database.url) : nil
            defer { proxy?.stop() }
            let apiSettings = try settings.merging(["DATABASE_URL": proxy?.url(replacing: database.url) ?? database.url]) { $1 }
            var worker: ChildProcess?
            defer { worker?.stopNow() }
            if let workerQueues {
                worker = try await ChildProcess.worker(
                    environment: ChildProcess.fastWorkerSettings(queues: workerQueues, maintenanceMilliseconds: 300).merging(settings) { $1 },
                    pool: pool)
            }
            let application = try await makeApplication(apiSettings)
            let started = worker
            try await application.test(.router) { client in
                try await body(TestServer(
                    database: database, pool: pool, worker: started, jwtSecret: settings["JWT_SECRET"] ?? "", client: client, databaseProxy: proxy))
            }
        }
    }

    private static func makeApplication(_ environment: [String: String]) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "context0.api.test")
        logger.logLevel = Logger.Level(rawValue: environment["LOG_LEVEL"] ?? "notice") ?? .notice
        let configuration = try APIConfiguration(environment: environment)
        let model = try LLMConfiguration(environment: environment).map { ChatCompletionsClient(configuration: $0, logger: logger) }
        return buildApplication(configuration: configuration, embedder: try await SharedEmbedder.shared.embedder(), model: model, logger: logger)
    }

    // MARK: Credentials

    /// A user id no other test uses.
    public static func newUser(_ label: String = "user") -> String {
        "\(label)-\(UUID().uuidString.prefix(13).lowercased())"
    }

    /// A JWT for `user`, signed with the API's secret unless another is given.
    public func token(_ user: String, org: String? = nil, scopes: [String]? = nil, expiresIn: Int = 3600, secret: String? = nil) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let claims = JSONWebToken.Claims(sub: user, org_id: org, scopes: scopes, exp: Double(now + expiresIn), iat: Double(now))
        return try! JSONWebToken(secret: secret ?? jwtSecret).sign(claims)
    }

    /// A token for a brand-new user.
    public func newToken(_ label: String = "user") -> String { token(Self.newUser(label)) }

    // MARK: Requests

    /// Sends `method <prefix><path>` (`/api/v1` unless told) with an optional bearer token,
    /// body and extra headers.
    public func send(
        _ method: String, _ path: String, token: String? = nil, body: RequestBody = .none, headers: [String: String] = [:],
        prefix: String = "/api/v1"
    ) async throws -> HTTPAnswer {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if case .raw(let data) = body {
            buffer = ByteBuffer(bytes: data)
            fields[.contentType] = "application/json"
        }
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { throw HarnessFailure("bad header name \(name)") }
            fields[name] = value
        }
        let response = try await client.executeRequest(
            uri: prefix + path, method: HTTPRequest.Method(rawValue: method) ?? .get, headers: fields, body: buffer)
        var lowered = [String: String]()
        for field in response.headers { lowered[field.name.canonicalName] = field.value }
        return HTTPAnswer(status: response.status.code, headers: lowered, body: Data(response.body.readableBytesView))
    }

    public func get(_ path: String, token: String?) async throws -> HTTPAnswer { try await send("GET", path, token: token) }
    public func delete(_ path: String, token: String?) async throws -> HTTPAnswer { try await send("DELETE", path, token: token) }

    /// `POST` of a JSON value built from Foundation objects.
    public func post(_ path: String, token: String?, _ body: Any = [String: Any]()) async throws -> HTTPAnswer {
        try await send("POST", path, token: token, body: .json(body))
    }

    /// `PUT` of a JSON value built from Foundation objects.
    public func put(_ path: String, token: String?, _ body: Any) async throws -> HTTPAnswer {
        try await send("PUT", path, token: token, body: .json(body))
    }

    // MARK: The admin CLI

    /// Runs `context0-admin` against this server's database.
    public func admin(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        try await ChildProcess.run("context0-admin", arguments + ["--database-url", database.url])
    }

    /// `context0-admin keys create --json`: the key's id and the key itself.
    public func createKey(user: String, org: String? = nil, scopes: [String]? = nil) async throws -> (id: String, key: String) {
        var arguments = ["keys", "create", "--user", user, "--json"]
        if let org { arguments += ["--org", org] }
        if let scopes { arguments += ["--scopes", scopes.joined(separator: ",")] }
        let result = try await admin(arguments)
        guard result.status == 0, let json = JSON.parse(Data(result.output.utf8)),
              let id = json["id"]?.string, let key = json["key"]?.string else {
            throw HarnessFailure("keys create failed (\(result.status)): \(result.output) \(result.error)")
        }
        return (id, key)
    }

    public func revokeKey(_ id: String) async throws {
        let result = try await admin(["keys", "revoke", id])
        guard result.status == 0 else { throw HarnessFailure("keys revoke failed (\(result.status)): \(result.error)") }
    }

    public func disableUser(_ user: String) async throws {
        let result = try await admin(["users", "disable", user, "--reason", "tests"])
        guard result.status == 0 else { throw HarnessFailure("users disable failed (\(result.status)): \(result.error)") }
    }
}

/// The native MiniLM model, loaded once for every in-process API of the test run (on a
/// thread made for blocking work: loading reads and converts 90 MB) and run on one thread,
/// so the tests' API leaves the second core to the worker processes.
public actor SharedEmbedder {
    public static let shared = SharedEmbedder()
    private var loading: Task<any Embedder, Error>?

    public func embedder() async throws -> any Embedder {
        if let loading { return try await loading.value }
        let directory = EmbeddingConfiguration.defaultModelDirectory(projectRoot: ProjectPaths.root.path)
        let task = Task<any Embedder, Error> { try await runBlocking { try MiniLMEmbedder(modelDirectory: directory, threads: 1) } }
        loading = task
        return try await task.value
    }
}
