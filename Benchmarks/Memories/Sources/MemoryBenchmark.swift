import BenchmarkSupport
import Jobs
import ArgumentParser
import Auth
import Foundation
import Postgres
import Synchronization

/// `context0-bench-memories`: the measuring half of `make bench-memories` (see
/// `Benchmarks/Memories/run.sh` and `docs/benchmarks-memories.md`).
///
/// On a fresh database it bulk-loads --memories memories of one user (SQL, random unit
/// embeddings, enrichment done), builds the indexes, starts one `context0-api` and
/// --workers `context0-worker` processes (offline mode: no LLM), and measures over HTTP:
/// - `POST /api/v1/memories` at 1 and --clients clients (distinct texts; workers embed them meanwhile);
/// - `POST /api/v1/memories/search` at 1 and --clients clients (once the embedding backlog is done);
/// - chat → searchable: send "I have a pet called <unique word>." to a chat session, then poll
///   search for the word until the extracted memory is returned, one message at a time;
/// - create → searchable: create a memory with a unique word, then poll search for it: found
///   by its words (the next request), then by meaning (returned with a similarity).
///
/// Prints `RESULT bench=memories …` lines on stdout; `PHASE`/`INFO` lines go to stderr.
@main
struct MemoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context0-bench-memories")

    @Option(help: "Server URL; the benchmark creates and drops the database --database there.") var databaseURL: String
    @Option(help: "Database to create (dropped first if it exists).") var database = "bench_memories"
    @Option(help: "JWT secret the API verifies tokens with (default: $JWT_SECRET).") var jwtSecret: String?
    @Option(help: "Worker processes.") var workers = 1
    @Option(help: "Queues of each worker (WORKER_QUEUES).") var workerQueues = "default=4,embedding=2,extraction=2"
    @Option(help: "Folder holding context0-api and context0-worker (default: next to this program).") var binDirectory: String?
    @Option(help: "Folder for the API's and workers' logs.") var logDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("context0-bench-memories").path

    @Option(help: "Memories bulk-loaded for the user before measuring.") var memories = 100_000
    @Option(help: "Concurrent clients of the concurrent runs.") var clients = 16
    @Option(help: "Create requests at each client count.") var createRequests = 500
    @Option(help: "Search requests at each client count.") var searchRequests = 500
    @Option(help: "Chat messages for chat-to-searchable (one at a time).") var chatMessages = 20
    @Option(help: "Memories for create-to-searchable (one at a time, at idle).") var freshSamples = 30
    @Option(help: "Search poll interval while waiting for a memory to be searchable, ms.") var pollMilliseconds = 20
    @Option(help: "Time limit of one wait (backlog, one chat memory), seconds.") var waitTimeout = 600

    @Flag(help: "Keep the database for inspection.") var keepDatabase = false

    static let user = "bench-memories"

    func run() async throws {
        let started = ContinuousClock.now
        let environment = ProcessInfo.processInfo.environment
        let secret = try BenchmarkSetup.jwtSecret(jwtSecret)
        let processes = try ServerProcesses(binDirectory: BenchmarkSetup.binDirectory(binDirectory), logDirectory: URL(fileURLWithPath: logDirectory))
        try await BenchmarkSetup.withDatabase(serverURL: databaseURL, name: database, keep: keepDatabase, stop: { processes.stopAll(grace: $0) }) { benchDatabase in
            let connection = try PostgresConnection(url: benchDatabase.url, applicationName: "context0-bench-memories")
            try load(connection)

            let port = try freePort()
            let serverEnvironment = [
                "DATABASE_URL": benchDatabase.url, "HOST": "127.0.0.1", "PORT": String(port), "JWT_SECRET": secret,
                "LOG_LEVEL": environment["BENCH_LOG_LEVEL"] ?? "warning",
                "RATE_LIMITS": environment["BENCH_RATE_LIMITS"] ?? "standard=100000000,search=100000000,batch=100000000,ai=100000000",
                "WORKER_QUEUES": workerQueues,
            ]
            try processes.start("context0-api", name: "api", environment: serverEnvironment)
            for index in 0..<workers {
                try processes.start("context0-worker", name: "worker-\(index + 1)", environment: serverEnvironment)
            }
            let api = APIClient(baseURL: "http://127.0.0.1:\(port)")
            try await waitUntil("the API answers /api/v1/ping", timeout: .seconds(120)) {
                try processes.requireRunning()
                return await api.get("/api/v1/ping") == 200
            }
            try await processes.waitForWorkers(workers, on: connection)
            benchmarkLog("INFO api=http://127.0.0.1:\(port) workers=\(workers) queues=\(workerQueues) logs=\(logDirectory)")
            let token = try JSONWebToken(secret: secret).sign(.init(sub: Self.user, exp: Date().timeIntervalSince1970 + 6 * 3600))
            try await measure(api: api, token: token, connection: connection, processes: processes)
            benchmarkLog(String(format: "INFO done seconds=%.0f", (ContinuousClock.now - started).seconds))
        }
    }

    // MARK: - Load

    /// --memories memories of the user, in one INSERT … SELECT: filler text from a word list,
    /// a random unit vector of dimension 384 each (pgvector's random_normal + l2_normalize),
    /// enrichment done. Secondary indexes are dropped first and built after, then ANALYZE.
    private func load(_ connection: PostgresConnection) throws {
        let indexes = try connection.query("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = 'memories'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = 'memories'::regclass)
            ORDER BY i.indexname
            """).rows.map { (name: try $0.decode("indexname", as: String.self), definition: try $0.decode("indexdef", as: String.self)) }
        for index in indexes {
            try connection.query(PostgresQuery(unsafeSQL: "DROP INDEX \(PostgresConnection.quoteIdentifier(index.name))"))
        }
        var clock = ContinuousClock.now
        let words = Self.words
        let n = words.count
        let batch = 20_000
        for first in stride(from: 0, to: memories, by: batch) {
            let last = min(first + batch, memories)
            try connection.query("""
                INSERT INTO memories (id, user_id, text, tags, source, enrichment, embedding, created_at, updated_at, valid_from)
                SELECT gen_random_uuid(), \(Self.user),
                       format('I %s %s %s and %s on %s (note %s).',
                              (\(words)::text[])[1 + floor(random() * \(n))::int], (\(words)::text[])[1 + floor(random() * \(n))::int],
                              (\(words)::text[])[1 + floor(random() * \(n))::int], (\(words)::text[])[1 + floor(random() * \(n))::int],
                              (\(words)::text[])[1 + floor(random() * \(n))::int], g),
                       '{}', 'manual', 'done', v.embedding,
                       now() - g * interval '1 second', now() - g * interval '1 second', now() - g * interval '1 second'
                FROM generate_series(\(first + 1), \(last)) g
                CROSS JOIN LATERAL (
                    SELECT l2_normalize(array_agg(random_normal())::vector(384)) AS embedding FROM generate_series(1, 384 + 0 * g)
                ) v
                """)
        }
        benchmarkLog(String(format: "PHASE load memories=%d seconds=%.1f", memories, (ContinuousClock.now - clock).seconds))
        try connection.query("SET maintenance_work_mem = '1GB'")
        for index in indexes {
            clock = ContinuousClock.now
            try connection.query(PostgresQuery(unsafeSQL: index.definition))
            benchmarkLog(String(format: "PHASE create-index %@ seconds=%.1f", index.name, (ContinuousClock.now - clock).seconds))
        }
        clock = ContinuousClock.now
        try connection.query("VACUUM (ANALYZE) memories")
        benchmarkLog(String(format: "PHASE vacuum-analyze seconds=%.1f", (ContinuousClock.now - clock).seconds))
    }

    // MARK: - Measure

    private func measure(api: APIClient, token: String, connection: PostgresConnection, processes: ServerProcesses) async throws {
        // A user's first request goes alone (concurrent first requests of a new user: see
        // docs/benchmarks-api.md, findings).
        let first = try await api.post("/api/v1/memories/search", token: token, json: ["query": "warm up", "threshold": 0])
        guard first.status == 200 else { throw BenchmarkFailure("search answered \(first.status): \(first.text)") }

        // 1. Create, distinct texts (the run's operation index is in each).
        let run = UUID().uuidString.prefix(8)
        let words = Self.words
        let create: @Sendable (Int) async throws -> Void = { index in
            let text = "Bench memory \(run)-\(index): I enjoy \(words[index % words.count]) with \(words[(index * 7 + 3) % words.count]) on weekends."
            let answer = try await api.post("/api/v1/memories", token: token, json: ["text": text])
            guard answer.status == 201 else { throw BenchmarkFailure("create answered \(answer.status): \(answer.text)") }
        }
        for (offset, level) in [1, clients].enumerated() {
            benchmarkLog("INFO phase=create clients=\(level) loadavg=\(loadAverage())")
            let base = offset * createRequests
            let sample = try await runClients(level, requests: createRequests) { try await create(base + $0) }
            result("create", level, sample)
        }

        // The workers embed what was created; search once that backlog is done.
        var clock = ContinuousClock.now
        try await waitUntil("the created memories' enrichment", timeout: .seconds(waitTimeout), every: .milliseconds(500)) {
            try processes.requireRunning()
            return try count("SELECT count(*) FROM memories WHERE enrichment = 'pending'", connection) == 0
        }
        benchmarkLog(String(format: "PHASE enrichment-backlog memories=%d seconds=%.1f (after the last create)",
                   2 * createRequests, (ContinuousClock.now - clock).seconds))

        // 2. Search: distinct queries over the vocabulary, default limit 10 and threshold 0.3.
        let hits = Mutex<[Int]>([])
        let search: @Sendable (Int) async throws -> Void = { index in
            let query = "what do I know about \(words[(index * 13) % words.count]) and \(words[(index * 31 + 5) % words.count])"
            let answer = try await api.post("/api/v1/memories/search", token: token, json: ["query": query])
            guard answer.status == 200 else { throw BenchmarkFailure("search answered \(answer.status): \(answer.text)") }
            let count = (answer.data["results"] as? [Any])?.count ?? 0
            hits.withLock { $0.append(count) }
        }
        _ = try await runClients(4, requests: 50, search) // warm-up
        hits.withLock { $0 = [] }
        for level in [1, clients] {
            benchmarkLog("INFO phase=search clients=\(level) loadavg=\(loadAverage())")
            let sample = try await runClients(level, requests: searchRequests, search)
            result("search", level, sample)
        }
        let counts = hits.withLock { $0 }
        benchmarkLog(String(format: "INFO search results per query: mean=%.1f zero=%d of %d", Double(counts.reduce(0, +)) / Double(max(counts.count, 1)),
                   counts.filter { $0 == 0 }.count, counts.count))

        // 3. Chat → searchable, one message at a time.
        let session = try await api.post("/api/v1/chat/sessions", token: token, json: ["title": "bench"])
        guard session.status == 201, let sessionID = session.data["id"] as? String else {
            throw BenchmarkFailure("session create answered \(session.status): \(session.text)")
        }
        var delays = [Double]()
        var sends = [Double]()
        clock = ContinuousClock.now
        for index in 0..<chatMessages {
            let word = Self.uniqueWord(index)
            let begin = ContinuousClock.now
            let sent = try await api.post("/api/v1/chat/sessions/\(sessionID)/messages", token: token,
                                          json: ["content": "I have a pet called \(word)."])
            guard sent.status == 201 else { throw BenchmarkFailure("chat message answered \(sent.status): \(sent.text)") }
            sends.append((ContinuousClock.now - begin).milliseconds)
            try await waitUntil("the memory about \(word)", timeout: .seconds(waitTimeout), every: .milliseconds(pollMilliseconds)) {
                let answer = try await api.post("/api/v1/memories/search", token: token, json: ["query": word, "threshold": 0])
                guard answer.status == 200 else { throw BenchmarkFailure("search answered \(answer.status): \(answer.text)") }
                let results = answer.data["results"] as? [[String: Any]] ?? []
                return results.contains { ($0["text"] as? String)?.lowercased().contains(word) == true }
            }
            delays.append((ContinuousClock.now - begin).milliseconds)
        }
        let chat = Sample(latencies: delays, seconds: (ContinuousClock.now - clock).seconds)
        benchmarkLog(String(format: "INFO chat send (POST …/messages alone) p50_ms=%.1f", Sample(latencies: sends, seconds: 1).p50))
        result("chat-to-searchable", 1, chat)
        try await measureCreateToSearchable(api: api, token: token)
    }

    /// 4. Create → searchable, one memory at a time at idle: poll search for the memory's
    /// unique word; `create-findable` when it is first returned (by its words: the very next
    /// request), `create-indexed` when it is returned with a similarity (its embedding landed).
    private func measureCreateToSearchable(api: APIClient, token: String) async throws {
        var findable = [Double]()
        var indexed = [Double]()
        var foundByTheNextRequest = 0
        for index in 0..<freshSamples {
            let word = Self.uniqueWord(index + chatMessages)
            let created = try await api.post("/api/v1/memories", token: token, json: ["text": "My locker code word is \(word)."])
            let begin = ContinuousClock.now
            guard created.status == 201, let id = created.data["id"] as? String else {
                throw BenchmarkFailure("create answered \(created.status): \(created.text)")
            }
            var polls = 0
            try await waitUntil("the memory \(id) by meaning", timeout: .seconds(waitTimeout), every: .milliseconds(pollMilliseconds)) {
                polls += 1
                let answer = try await api.post("/api/v1/memories/search", token: token, json: ["query": word, "threshold": 0])
                guard answer.status == 200 else { throw BenchmarkFailure("search answered \(answer.status): \(answer.text)") }
                guard let hit = (answer.data["results"] as? [[String: Any]] ?? []).first(where: { $0["id"] as? String == id }) else { return false }
                if findable.count == index {
                    findable.append((ContinuousClock.now - begin).milliseconds)
                    if polls == 1 { foundByTheNextRequest += 1 }
                }
                return hit["similarity"] is Double
            }
            indexed.append((ContinuousClock.now - begin).milliseconds)
            try await Task.sleep(for: .milliseconds(500))
        }
        result("create-findable", 1, Sample(latencies: findable, seconds: 1))
        result("create-indexed", 1, Sample(latencies: indexed, seconds: 1))
        let line = "RESULT bench=memories op=create-findable-next-request samples=\(freshSamples) found_by_the_next_request=\(foundByTheNextRequest)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    private func result(_ op: String, _ clients: Int, _ sample: Sample) {
        let line = String(format: "RESULT bench=memories op=%@ clients=%d requests=%d memories=%d p50_ms=%.2f p99_ms=%.2f rps=%.1f",
                          op, clients, sample.latencies.count, memories, sample.p50, sample.p99, sample.perSecond)
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func count(_ sql: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query(PostgresQuery(unsafeSQL: sql)).rows.first.map { try $0.decode("count", as: Int.self) } ?? 0
    }

    /// Lower-case letters only (one full-text lexeme), never an English word: "zq" + base-26 of index and run.
    static func uniqueWord(_ index: Int) -> String {
        var value = index * 7_919 + Int.random(in: 0..<1_000_000) * 1_000
        var letters = "zq"
        for _ in 0..<6 {
            letters.append(Character(UnicodeScalar(UInt8(97 + value % 26))))
            value /= 26
        }
        return letters
    }

    static let words = """
        hiking coffee jazz tennis cooking painting gardening chess running swimming cycling reading
        sushi pasta tea chocolate guitar piano violin football basketball yoga photography travel
        mountains beaches museums theater cinema podcasts poetry history science astronomy birds
        cats dogs horses sailing skiing climbing baking knitting pottery dancing singing camping
        fishing surfing archery bowling golf rugby cricket baseball volleyball boxing karate
        lisbon paris tokyo berlin madrid rome london dublin oslo vienna prague lima quito nairobi
        mondays tuesdays wednesdays thursdays fridays saturdays sundays mornings evenings nights
        spring summer autumn winter rain snow sunshine wind fog storms gardens forests rivers lakes
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
}
