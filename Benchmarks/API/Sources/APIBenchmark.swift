import BenchmarkSupport
import ArgumentParser
import Auth
import Core
import Embedding
import Foundation
import Jobs
import Postgres
import Settings
import Synchronization

/// `context0-bench-api`: the measuring half of `make bench-api` (see `Benchmarks/API/run.sh` and
/// `docs/benchmarks-api.md`).
///
/// On a fresh database it bulk-loads indexed context (100,000 chunks of one user plus other
/// tenants' data), starts one `context0-api` and N `context0-worker` processes, and measures
/// over HTTP:
/// - `search` at 1 and 16 clients, and in the same run its two unavoidable parts alone:
///   the query's embedding (MiniLM in this process, same model) and the bare SQL search
///   (`ContextStore.search` over one connection, with precomputed embeddings);
/// - `add` of ~2 KB documents at 16 clients (workers ingesting meanwhile, as in production);
/// - add-to-searchable latency at idle: add a document carrying a unique sentence, then poll
///   `search` for that sentence: `findable` when the document is first returned (by its
///   words: the very next request), `indexed` when it is returned with a similarity (its
///   embedding landed);
/// - fairness: one tenant adds --flood-documents documents, another then adds single
///   documents; how long until each is searchable by meaning (FairnessPhase).
///
/// Prints `RESULT bench=api …` lines on stdout; `PHASE`/`INFO` lines go to stderr.
@main
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context0-bench-api")

    @Option(help: "Server URL; the benchmark creates and drops the database --database there.") var databaseURL: String
    @Option(help: "Database to create (dropped first if it exists).") var database = "bench_api"
    @Option(help: "JWT secret the API verifies tokens with (default: $JWT_SECRET).") var jwtSecret: String?
    @Option(help: "Worker processes.") var workers = 2
    @Option(help: "Folder holding context0-api and context0-worker (default: next to this program).") var binDirectory: String?
    @Option(help: "Folder for the API's and workers' logs.") var logDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("context0-bench-api").path

    @Option(help: "Indexed chunks of the searching user.") var searchChunks = 100_000
    @Option(help: "Indexed chunks of other users (same tables, never to be returned).") var otherChunks = 20_000
    @Option(help: "Users the other chunks are split among (e.g. 999 × 100 chunks: many small tenants).") var otherTenants = 1
    @Flag(help: "Stop after the search phase (tenant-shape runs: search latency and vector recall only).") var searchOnly = false
    @Option(help: "Chunks per bulk-loaded document.") var chunksPerDocument = 10
    @Option(help: "Distinct sentences, embedded for real; chunks are made of them.") var sentencePool = 6_000
    @Option(help: "Chunks of the searching user embedded for real from their own text (the rest mix sentence embeddings).")
    var realChunks = 256

    @Option(help: "Distinct search queries (cycled).") var queries = 64
    @Option(help: "Searches at 1 client (and samples of each part).") var searchRequests = 400
    @Option(help: "Searches at --clients clients.") var concurrentSearchRequests = 2_000
    @Option(help: "Concurrent clients for search and add.") var clients = 16
    @Option(help: "Add requests (one new ~2 KB document each).") var addRequests = 2_000
    @Option(help: "Bytes per added document.") var documentBytes = 2_048
    @Option(help: "Add-to-searchable samples at idle.") var indexedSamples = 30
    @Option(help: "Search poll interval while waiting for a document to be searchable, ms.") var pollMilliseconds = 20
    @Option(help: "Documents one tenant adds before another adds one (fairness phase; 0: skip).") var floodDocuments = 10_000
    @Option(help: "Single documents of the other tenant, one at a time, behind the flood.") var fairSamples = 5
    @Option(help: "Time limit of each phase, seconds.") var phaseTimeout = 900

    @Flag(help: "Keep the database (and stop nothing early) for inspection, e.g. EXPLAIN ANALYZE.") var keepDatabase = false

    static let searchUser = Tenant(userID: "bench-search", organizationID: nil)
    static let otherUser = Tenant(userID: "bench-other", organizationID: nil)
    static let addUser = "bench-add"
    static let indexedUser = "bench-indexed"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let secret = try BenchmarkSetup.jwtSecret(jwtSecret)
        let processes = try ServerProcesses(binDirectory: BenchmarkSetup.binDirectory(binDirectory), logDirectory: URL(fileURLWithPath: logDirectory))
        try await BenchmarkSetup.withDatabase(serverURL: databaseURL, name: database, keep: keepDatabase, stop: { processes.stopAll(grace: $0) }) { benchDatabase in
            try await prepare(database: benchDatabase, processes: processes, secret: secret, environment: environment)
        }
    }

    private func prepare(database: BenchmarkDatabase, processes: ServerProcesses, secret: String, environment: [String: String]) async throws {
        // The model, as the API loads it (same folder, same thread count).
        let embedding = try EmbeddingConfiguration(environment: environment, projectRoot: ProjectLayout.dependenciesRoot)
        let embedder = try MiniLMEmbedder(modelDirectory: embedding.modelDirectory, threads: embedding.threads)
        let corpus = try Corpus(poolSize: sentencePool, vocabularyFile: embedding.modelDirectory + "/vocab.txt")

        // 1. Embed the sentence pool for real; embed some chunks for real to measure the rate.
        var clock = ContinuousClock.now
        let sentenceVectors = try await embedder.embed(corpus.sentences.map(\.text))
        benchmarkLog(String(format: "PHASE embed-sentences sentences=%d seconds=%.1f", corpus.sentences.count, (ContinuousClock.now - clock).seconds))
        let searchChunkList = BulkLoader.chunks(count: searchChunks, chunksPerDocument: chunksPerDocument, corpus: corpus, seed: 1)
        let otherChunkList = BulkLoader.chunks(count: otherChunks, chunksPerDocument: chunksPerDocument, corpus: corpus, seed: 2)
        clock = ContinuousClock.now
        let realCount = min(realChunks, searchChunkList.count)
        let realVectors = try await embedder.embed(searchChunkList.prefix(realCount).map(corpus.text(of:)))
        let realSeconds = (ContinuousClock.now - clock).seconds
        if realCount > 0 {
            let rate = Double(realCount) / realSeconds
            benchmarkLog(String(format: "INFO embed-chunks chunks=%d seconds=%.1f chunks_per_s=%.1f (all %d chunks would take %.1f min)",
                       realCount, realSeconds, rate, searchChunks + otherChunks, Double(searchChunks + otherChunks) / rate / 60))
        }

        // 2. Bulk load, then build the indexes and gather statistics.
        let connection = try PostgresConnection(url: database.url, applicationName: "context0-bench-api")
        let loader = BulkLoader(connection: connection, corpus: corpus, sentenceVectors: sentenceVectors, chunksPerDocument: chunksPerDocument)
        let indexes = try BulkLoader.dropSecondaryIndexes(on: connection)
        clock = ContinuousClock.now
        try loader.load(searchChunkList, tenant: Self.searchUser, source: "bench-corpus") { ordinal in
            ordinal < realVectors.count ? realVectors[ordinal] : loader.mixedVector(searchChunkList[ordinal])
        }
        let perTenant = (otherChunkList.count + max(otherTenants, 1) - 1) / max(otherTenants, 1)
        for (index, first) in stride(from: 0, to: otherChunkList.count, by: max(perTenant, 1)).enumerated() {
            let tenant = otherTenants <= 1 ? Self.otherUser : Tenant(userID: "\(Self.otherUser.userID)-\(index)", organizationID: nil)
            let slice = Array(otherChunkList[first..<min(first + perTenant, otherChunkList.count)])
            try loader.load(slice, tenant: tenant, source: "bench-corpus") { loader.mixedVector(slice[$0]) }
        }
        benchmarkLog(String(format: "PHASE load chunks=%d seconds=%.1f", searchChunks + otherChunks, (ContinuousClock.now - clock).seconds))
        try connection.query("SET maintenance_work_mem = '1GB'")
        for index in indexes {
            clock = ContinuousClock.now
            try connection.query(PostgresQuery(unsafeSQL: index.definition))
            benchmarkLog(String(format: "PHASE create-index %@ seconds=%.1f", index.name, (ContinuousClock.now - clock).seconds))
        }
        clock = ContinuousClock.now
        try connection.query("VACUUM (ANALYZE) context_documents")
        try connection.query("VACUUM (ANALYZE) context_nodes")
        benchmarkLog(String(format: "PHASE vacuum-analyze seconds=%.1f", (ContinuousClock.now - clock).seconds))

        // 3. The API and the workers.
        let port = try freePort()
        let serverEnvironment = [
            "DATABASE_URL": database.url, "HOST": "127.0.0.1", "PORT": String(port), "JWT_SECRET": secret,
            "LOG_LEVEL": environment["BENCH_LOG_LEVEL"] ?? "warning",
            // Rate limiting stays on (every request is still counted), with limits no run reaches.
            "RATE_LIMITS": environment["BENCH_RATE_LIMITS"] ?? "standard=1000000000,search=1000000000,batch=1000000000,ai=1000000000",
        ]
        try processes.start("context0-api", name: "api", environment: serverEnvironment)
        for index in 0..<workers {
            try processes.start("context0-worker", name: "worker-\(index + 1)", environment: serverEnvironment)
        }
        let api = APIClient(baseURL: "http://127.0.0.1:\(port)")
        do {
            try await measure(api: api, port: port, corpus: corpus, embedder: embedder, connection: connection,
                              database: database, processes: processes, secret: secret)
        } catch {
            await api.shutdown()
            throw error
        }
        await api.shutdown()
    }

    private func measure(api: APIClient, port: Int, corpus: Corpus, embedder: MiniLMEmbedder, connection: PostgresConnection,
                         database: BenchmarkDatabase, processes: ServerProcesses, secret: String) async throws {
        try await waitUntil("the API answers /api/v1/ping", timeout: .seconds(120)) {
            try processes.requireRunning()
            return await api.get("/api/v1/ping") == 200
        }
        try await processes.waitForWorkers(workers, on: connection)
        benchmarkLog("INFO api=http://127.0.0.1:\(port) workers=\(workers) logs=\(logDirectory)")

        let tokens = JSONWebToken(secret: secret)
        func token(_ user: String) throws -> String {
            try tokens.sign(.init(sub: user, exp: Date().timeIntervalSince1970 + 6 * 3600))
        }

        // 4. Search: end to end at 1 and N clients and, interleaved with it in rounds (so all
        // three see the same background load), its two parts alone: the query's embedding
        // (same model, in this process) and the bare SQL (ContextStore.search, precomputed
        // embeddings). Operation i uses query i mod --queries in all three.
        let queryTexts = corpus.queries(queries)
        let searchToken = try token(Self.searchUser.userID)
        let searchBodies = try queryTexts.map { try Self.searchBody($0) }
        let hitCounts = Locked<[Int]>([])
        let search: @Sendable (Int) async throws -> Void = { index in
            let answer = try await api.post("/api/v1/context/search", token: searchToken, body: searchBodies[index % searchBodies.count])
            guard answer.status == 202 else { throw BenchmarkFailure("search answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self).prefix(300))") }
            let hits = try JSONDecoder().decode(SearchAnswer.self, from: answer.body).results.count
            hitCounts.withLock { $0.append(hits) }
        }
        let store = ContextStore(queue: JobQueue())
        let queryVectors = try await embedder.embed(queryTexts)
        let contextQueries = zip(queryTexts, queryVectors).map { text, vector in
            ContextQuery(caller: Self.searchUser, text: text, embedding: vector, minimumSimilarity: 0, maximumSimilarity: 1,
                         scope: .internal, metadata: nil, limit: 10)
        }
        let embed: @Sendable (Int) async throws -> Void = { index in
            _ = try await embedder.embed(queryTexts[index % queryTexts.count])
        }
        // A connection of its own (not the one that loaded the data and built the indexes).
        let sqlConnection = try PostgresConnection(url: database.url, applicationName: "context0-bench-api")
        let sqlOne: @Sendable (Int) async throws -> Void = { index in
            _ = try store.search(contextQueries[index % contextQueries.count], on: sqlConnection)
        }
        let pool = PostgresPool(configuration: .init(url: database.url, maxConnections: clients, applicationName: "context0-bench-api"))
        let sqlPooled: @Sendable (Int) async throws -> Void = { index in
            let query = contextQueries[index % contextQueries.count]
            _ = try await pool.withConnection { try store.search(query, on: $0) }
        }
        try logFullTextMatches(queryTexts, connection: connection)

        benchmarkLog("INFO phase=search loadavg=\(loadAverage())")
        // A user's first request goes alone: concurrent first requests of a new user crash
        // the API (UserStore.admit returns no row; see docs/benchmarks-api.md, findings).
        try await search(0)
        _ = try await runClients(4, requests: 100, search) // warm-up: connections, caches
        _ = try await runClients(1, requests: queryTexts.count, sqlOne)
        _ = try await runClients(4, requests: 100, sqlPooled)
        // The HTTP floor: the unauthenticated ping (its database check is cached for 1 s).
        let ping = try await runClients(1, requests: searchRequests) { _ in
            guard await api.get("/api/v1/ping") == 200 else { throw BenchmarkFailure("ping failed") }
        }
        // Authentication's floor: a search refused by validation (400) right after the auth
        // middleware has verified the token and recorded the user's use.
        let invalid = try JSONSerialization.data(withJSONObject: ["query": ""])
        let authFloor = try await runClients(1, requests: searchRequests) { _ in
            let answer = try await api.post("/api/v1/context/search", token: searchToken, body: invalid)
            guard answer.status == 400 else { throw BenchmarkFailure("an empty query answered \(answer.status), not 400") }
        }
        hitCounts.withLock { $0 = [] }
        let one = try await runInterleaved(1, requests: searchRequests, rounds: 4, [search, embed, sqlOne])
        benchmarkLog("INFO phase=search-concurrent loadavg=\(loadAverage())")
        let many = try await runInterleaved(clients, requests: concurrentSearchRequests, rounds: 4, [search, embed, sqlPooled])
        await pool.close()
        let (searchOne, embedOne, sqlOne1) = (one[0], one[1], one[2])
        let (searchMany, embedMany, sqlMany) = (many[0], many[1], many[2])
        benchmarkLog(String(format: "PHASE search clients=1 requests=%d seconds=%.1f p50_ms=%.2f p99_ms=%.2f", searchOne.latencies.count, searchOne.seconds, searchOne.p50, searchOne.p99))
        benchmarkLog(String(format: "PHASE search clients=%d requests=%d seconds=%.1f p50_ms=%.2f p99_ms=%.2f", clients, searchMany.latencies.count, searchMany.seconds, searchMany.p50, searchMany.p99))
        let hits = hitCounts.withLock { $0 }
        benchmarkLog(String(format: "INFO search results per query: mean=%.1f empty=%d of %d", Double(hits.reduce(0, +)) / Double(max(hits.count, 1)),
                   hits.filter { $0 == 0 }.count, hits.count))
        // By kind of query (see Corpus.queries): every 4th is generic.
        for (name, end, sql) in [("1", searchOne, sqlOne1), ("\(clients)", searchMany, sqlMany)] {
            let generic = { (sample: Sample) in Sample(latencies: sample.latencies.enumerated().filter { ($0.offset % queryTexts.count) % 4 == 3 }.map(\.element), seconds: 1) }
            let specific = { (sample: Sample) in Sample(latencies: sample.latencies.enumerated().filter { ($0.offset % queryTexts.count) % 4 != 3 }.map(\.element), seconds: 1) }
            benchmarkLog(String(format: "INFO clients=%@ specific queries: search p50=%.2f p99=%.2f sql p50=%.2f p99=%.2f; generic queries: search p50=%.2f p99=%.2f sql p50=%.2f p99=%.2f",
                       name, specific(end).p50, specific(end).p99, specific(sql).p50, specific(sql).p99,
                       generic(end).p50, generic(end).p99, generic(sql).p50, generic(sql).p99))
        }

        let recall = try vectorRecall(contextQueries, connection: sqlConnection)
        print(String(format: "RESULT bench=api op=vector-recall queries=%d recall_at_10=%.4f min=%.2f", recall.count, recall.mean, recall.minimum))
        if searchOnly {
            for (clients, sample) in [(1, searchOne), (self.clients, searchMany)] {
                print(String(format: "RESULT bench=api op=search clients=%d p50_ms=%.2f p99_ms=%.2f rps=%.1f", clients, sample.p50, sample.p99, sample.perSecond))
            }
            for (clients, embed, sql) in [(1, embedOne, sqlOne1), (self.clients, embedMany, sqlMany)] {
                print(String(format: "RESULT bench=api op=search-parts clients=%d embed_p50_ms=%.2f sql_p50_ms=%.2f sql_p99_ms=%.2f",
                             clients, embed.p50, sql.p50, sql.p99))
            }
            return
        }

        // 5. Add: distinct ~2 KB documents at N clients, while the workers ingest them.
        let addToken = try token(Self.addUser)
        var random = SplitMix64(seed: 99)
        let addBodies = try (0..<addRequests + clients).map { index in
            let content = corpus.document(bytes: documentBytes, lead: "Reference \(UUID().uuidString.lowercased()) for request \(index).", using: &random)
            return try Self.addBody(content: content, fileName: "bench-\(index).txt", source: index < clients ? "bench-warmup" : "bench-add")
        }
        let add: @Sendable (Int) async throws -> Void = { index in
            let answer = try await api.post("/api/v1/context/add", token: addToken, body: addBodies[index])
            guard answer.status == 201 else { throw BenchmarkFailure("add answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self).prefix(300))") }
        }
        benchmarkLog("INFO phase=add loadavg=\(loadAverage())")
        try await add(0) // alone first, as for search
        _ = try await runClients(clients, operations: 1..<clients, add) // warm-up (their own source)
        let addStart = ContinuousClock.now
        let addMany = try await timed("add clients=\(clients)") { try await runClients(clients, requests: addRequests) { try await add($0 + clients) } }
        try await waitUntil("the added documents are indexed", timeout: .seconds(phaseTimeout), every: .milliseconds(200)) {
            try processes.requireRunning()
            return try count("SELECT count(*) FROM context_documents WHERE user_id = '\(Self.addUser)' AND state NOT IN ('indexed', 'failed')", connection) == 0
        }
        let drainSeconds = (ContinuousClock.now - addStart).seconds
        let addedChunks = try count("SELECT count(*) FROM context_nodes WHERE user_id = '\(Self.addUser)'", connection)
        let failed = try count("SELECT count(*) FROM context_documents WHERE user_id = '\(Self.addUser)' AND state = 'failed'", connection)
        benchmarkLog(String(format: "INFO ingest documents=%d chunks=%d failed=%d seconds_from_first_add_to_all_indexed=%.1f chunks_per_s=%.1f",
                   addRequests + clients, addedChunks, failed, drainSeconds, Double(addedChunks) / drainSeconds))

        // 6. Add to searchable, at idle.
        try await Task.sleep(for: .seconds(2))
        benchmarkLog("INFO phase=indexed loadavg=\(loadAverage())")
        let indexedToken = try token(Self.indexedUser)
        var findableLatencies = [Double]()
        var indexedLatencies = [Double]()
        var foundByTheNextRequest = 0
        var polls = 0
        for sample in 0..<indexedSamples {
            let marker = "The \(Corpus.zipf(corpus.fillerWords, using: &random)) \(Corpus.zipf(corpus.fillerWords, using: &random)) checkpoint is codenamed bench\(sample)x\(UInt32.random(in: 0...UInt32.max, using: &random))."
            let body = try Self.addBody(content: corpus.document(bytes: documentBytes, lead: marker, using: &random),
                                        fileName: "indexed-\(sample).txt", source: "bench-indexed")
            let answer = try await api.post("/api/v1/context/add", token: indexedToken, body: body)
            let added = ContinuousClock.now
            guard answer.status == 201,
                  let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
                  let documents = object["documents"] as? [[String: Any]], let id = documents.first?["id"] as? String
            else { throw BenchmarkFailure("add answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self).prefix(300))") }
            let searchBody = try Self.searchBody(marker)
            let deadline = added + .seconds(120)
            var samplePolls = 0
            while true {
                polls += 1
                samplePolls += 1
                let found = try await api.post("/api/v1/context/search", token: indexedToken, body: searchBody)
                guard found.status == 202 else { throw BenchmarkFailure("search answered \(found.status)") }
                let hits = try JSONDecoder().decode(SearchAnswer.self, from: found.body).results.filter { $0.documentId == id }
                if !hits.isEmpty, findableLatencies.count == sample {
                    findableLatencies.append((ContinuousClock.now - added).milliseconds)
                    if samplePolls == 1 { foundByTheNextRequest += 1 }
                }
                if hits.contains(where: { $0.similarity != nil }) {
                    indexedLatencies.append((ContinuousClock.now - added).milliseconds)
                    break
                }
                guard ContinuousClock.now < deadline else { throw BenchmarkFailure("document \(id) not searchable by meaning after 120 s") }
                try await Task.sleep(for: .milliseconds(pollMilliseconds))
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let findable = Sample(latencies: findableLatencies, seconds: 0)
        let indexed = Sample(latencies: indexedLatencies, seconds: 0)
        benchmarkLog("INFO indexed polls=\(polls) (every \(pollMilliseconds) ms)")
        print("RESULT bench=api op=findable-next-request samples=\(indexedSamples) found_by_the_next_request=\(foundByTheNextRequest)")

        // Results.
        func result(_ op: String, _ clients: Int, _ sample: Sample, rps: Bool = true) {
            print(String(format: "RESULT bench=api op=%@ clients=%d p50_ms=%.2f p99_ms=%.2f rps=%@", op, clients, sample.p50, sample.p99,
                         rps ? String(format: "%.1f", sample.perSecond) : "n/a"))
        }
        // parts_p50_ms: the median of embed + SQL paired by operation (same query); the sum of
        // the two medians is logged too (they differ when one part's times are bimodal).
        func parts(_ clients: Int, _ embed: Sample, _ sql: Sample) {
            let paired = Sample(latencies: zip(embed.latencies, sql.latencies).map { $0 + $1 }, seconds: 1)
            print(String(format: "RESULT bench=api op=search-parts clients=%d embed_p50_ms=%.2f embed_p99_ms=%.2f sql_p50_ms=%.2f sql_p99_ms=%.2f parts_p50_ms=%.2f parts_p99_ms=%.2f",
                         clients, embed.p50, embed.p99, sql.p50, sql.p99, paired.p50, paired.p99))
            benchmarkLog(String(format: "INFO clients=%d embed_p50 + sql_p50 = %.2f ms", clients, embed.p50 + sql.p50))
        }
        result("ping", 1, ping)
        result("auth-floor", 1, authFloor)
        result("add", clients, addMany)
        result("findable", 1, findable, rps: false)
        result("indexed", 1, indexed, rps: false)
        result("search", 1, searchOne)
        result("search", clients, searchMany)
        parts(1, embedOne, sqlOne1)
        parts(clients, embedMany, sqlMany)

        // 7. Fairness: another tenant's single document behind a flood, at the end so the
        // flood's backlog disturbs no other measurement.
        if floodDocuments > 0 {
            benchmarkLog("INFO phase=fairness loadavg=\(loadAverage())")
            try await FairnessPhase(api: api, connection: connection, floodToken: try token(FairnessPhase.floodUser),
                                    quietToken: try token("bench-quiet"), floodDocuments: floodDocuments, samples: fairSamples,
                                    pollMilliseconds: pollMilliseconds).run()
        }
    }

    // MARK: - Helpers

    static func searchBody(_ query: String) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "query": query, "similarity_threshold": 1.0, "minimum_similarity_threshold": 0.0, "scope": "internal", "metadata": [String: Any](),
        ] as [String: Any])
    }

    static func addBody(content: String, fileName: String, source: String) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "documents": [["content": content, "fileName": fileName, "fileType": "text/plain", "fileSize": content.utf8.count]],
            "source": source, "context_type": "resource", "scope": "internal", "metadata": ["bench": "api"], "chained": false,
        ] as [String: Any])
    }

    private func timed(_ what: String, _ body: () async throws -> Sample) async throws -> Sample {
        let sample = try await body()
        benchmarkLog(String(format: "PHASE %@ requests=%d seconds=%.1f p50_ms=%.2f p99_ms=%.2f", what, sample.latencies.count, sample.seconds, sample.p50, sample.p99))
        return sample
    }

    /// How many of the searching user's chunks contain every term of each query (what the
    /// full-text half of the search must rank), summarised.
    private func logFullTextMatches(_ queries: [String], connection: PostgresConnection) throws {
        let counts = try queries.map { query in
            try connection.query("""
                SELECT count(*) FROM context_nodes n WHERE n.user_id = \(Self.searchUser.userID) AND n.organization_id IS NULL
                  AND n.tsv @@ websearch_to_tsquery('english', \(query))
                """).first!.decode(at: 0, as: Int.self)
        }.sorted()
        let generic = queries.indices.filter { $0 % 4 == 3 }.count
        benchmarkLog("INFO full-text matches per query (\(queries.count) queries, \(generic) generic): min=\(counts.first ?? 0) median=\(counts[counts.count / 2]) "
            + "p75=\(counts[counts.count * 3 / 4]) max=\(counts.last ?? 0) zero=\(counts.filter { $0 == 0 }.count)")
    }

    /// Recall@10 of the vector arm as the API runs it (`ContextStore.search` ranking by vectors
    /// alone) against an exact scan of the searching user's nodes, over `queries`.
    private func vectorRecall(_ queries: [ContextQuery], connection: PostgresConnection) throws -> (count: Int, mean: Double, minimum: Double) {
        let store = ContextStore(queue: JobQueue(), ranking: .vector)
        let recalls = try queries.map { query in
            let found = Set(try store.search(query, on: connection).map(\.nodeID))
            let exact = try connection.query("""
                SELECT n.id FROM context_nodes n WHERE n.user_id = \(query.caller.userID) AND n.organization_id IS NULL AND n.indexed
                ORDER BY (n.embedding <=> \(PostgresVector(query.embedding))::vector) + 0 LIMIT \(query.limit)
                """).rows.map { try $0.decode("id", as: UUID.self) }
            return Double(exact.filter(found.contains).count) / Double(max(exact.count, 1))
        }
        return (recalls.count, recalls.reduce(0, +) / Double(max(recalls.count, 1)), recalls.min() ?? 0)
    }

    private func count(_ sql: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query(PostgresQuery(unsafeSQL: sql)).first!.decode(at: 0)
    }
}

/// A value behind a lock, shareable between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
