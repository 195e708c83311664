import ArgumentParser
import AsyncHTTPClient
import Auth
import BenchmarkSupport
import Foundation
import NIOCore
import NIOHTTP1
import Postgres
import Synchronization

/// `context0-bench-usage`: the measuring half of `make bench-usage` (see `Benchmarks/Usage/run.sh`
/// and `docs/benchmarks-usage.md`).
///
/// 1. **Metering + rate limiting.** Two `context0-api` processes on the same fresh database,
///    one as deployed and one with metering switched off (`METERING=off`, see
///    `--metering-off`). The same cheap requests, the same users, in interleaved batches
///    whose order alternates (on, off, off, on, …), at 1 and N clients: the unauthenticated
///    `ping` (neither process meters it: the noise floor), `auth-only` (`GET /jobs/0`: token
///    verified, request admitted, then refused by validation with no SQL of its own),
///    `limits` (`GET /billing/limits`, one small SQL read) over many users, and `limits-hot`
///    (the same, one user: every request updates the same counter row).
/// 2. **Webhook deliveries.** Webhooks of a few users pointed at a receiver inside this
///    process; events emitted with `emit_webhook_event` in SQL (the function every event
///    goes through); 1, then 2 `context0-worker` processes serving only the `webhooks`
///    queue. A burst (N events in one statement: deliveries/s from the first to the last
///    arrival) and a paced series (latency from the event's `created_at` to its arrival).
///
/// Prints `RESULT`/`RATIO` lines on stdout; `PHASE`/`INFO`/`WARNING` lines go to stderr.
@main
struct UsageBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context0-bench-usage")

    @Option(help: "Server URL; the benchmark creates and drops the database --database there.") var databaseURL: String
    @Option(help: "Database to create (dropped first if it exists).") var database = "bench_usage"
    @Option(help: "JWT secret the API verifies tokens with (default: $JWT_SECRET).") var jwtSecret: String?
    @Option(help: "Folder holding context0-api and context0-worker (default: next to this program).") var binDirectory: String?
    @Option(help: "Folder for the API's and workers' logs.") var logDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("context0-bench-usage").path

    @Option(help: "NAME=value given to the API process that must not meter (the other gets nothing).")
    var meteringOff = "METERING=off"
    @Flag(help: "ALTER DATABASE … SET synchronous_commit = off before starting the APIs: what metering costs when its commit does not wait for the WAL flush.")
    var asyncCommit = false
    @Option(help: "Distinct users (JWT subjects) of the many-users cases.") var users = 100
    @Option(help: "Concurrent clients of the concurrent runs (1 client is always measured too).") var clients = 16
    @Option(help: "Requests per API process and case at 1 client.") var requests = 3_000
    @Option(help: "Requests per API process and case at --clients clients.") var concurrentRequests = 12_000
    @Option(help: "Batches per API process and case (the order alternates between batches).") var rounds = 10
    @Option(help: "Cases, comma-separated: ping, auth-only, limits, limits-hot.") var cases = "ping,auth-only,limits,limits-hot"

    @Option(help: "Users with a webhook (one each, subscribed to every event).") var webhookUsers = 10
    @Option(help: "Events of the burst (one delivery each).") var burstEvents = 5_000
    @Option(help: "Events of the paced series.") var pacedEvents = 600
    @Option(help: "Events per second of the paced series.") var pacedRate = 60
    @Option(help: "Worker process counts to measure, comma-separated.") var workerCounts = "1,2"
    @Option(help: "WORKER_QUEUES of the workers.") var workerQueues = "webhooks=32"
    @Option(help: "Time limit of each wait, seconds.") var phaseTimeout = 300

    @Flag(help: "Skip the metering part.") var skipMetering = false
    @Flag(help: "Skip the webhook part.") var skipWebhooks = false
    @Flag(help: "Keep the database for inspection.") var keepDatabase = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let secret = try BenchmarkSetup.jwtSecret(jwtSecret)
        let offParts = meteringOff.split(separator: "=", maxSplits: 1).map(String.init)
        guard offParts.count == 2 else { throw ValidationError("--metering-off must be NAME=value") }
        let bin = BenchmarkSetup.binDirectory(binDirectory)
        let logs = URL(fileURLWithPath: logDirectory)
        let apis = try ServerProcesses(binDirectory: bin, logDirectory: logs)
        let workers = WorkerSlot()
        let stop: @Sendable (Duration) -> Void = { grace in
            workers.current.withLock { $0 }?.stopAll(grace: grace)
            apis.stopAll(grace: grace)
        }
        try await BenchmarkSetup.withDatabase(serverURL: databaseURL, name: database, keep: keepDatabase, stop: stop) { benchDatabase in

            let receiver = try await WebhookReceiver.start()
            if asyncCommit {
                // Every session on the database (both APIs, the workers) commits without waiting
                // for the WAL flush. (PGOPTIONS would not do: the Postgres module sets `options`.)
                try PostgresConnection(url: benchDatabase.serverURL).query(PostgresQuery(unsafeSQL:
                    "ALTER DATABASE \(PostgresConnection.quoteIdentifier(benchDatabase.name)) SET synchronous_commit = off"))
                benchmarkLog("INFO synchronous_commit = off for every session on \(benchDatabase.name)")
            }
            let onPort = try freePort()
            var offPort = try freePort()
            while offPort == onPort { offPort = try freePort() }
            let common = [
                "DATABASE_URL": benchDatabase.url, "HOST": "127.0.0.1", "JWT_SECRET": secret,
                "LOG_LEVEL": environment["BENCH_LOG_LEVEL"] ?? "warning",
                // Limits no run reaches: every request is admitted (and, when on, counted).
                "RATE_LIMITS": environment["BENCH_RATE_LIMITS"] ?? "standard=1000000000,search=1000000000,batch=1000000000,ai=1000000000",
                "WEBHOOK_ALLOW_PRIVATE": "1",
            ]
            try apis.start("context0-api", name: "api-metering-on", environment: common.merging(["PORT": String(onPort)]) { $1 })
            try apis.start("context0-api", name: "api-metering-off",
                           environment: common.merging(["PORT": String(offPort), offParts[0]: offParts[1]]) { $1 })
            let http = HTTP()
            do {
                let on = "http://127.0.0.1:\(onPort)", off = "http://127.0.0.1:\(offPort)"
                for base in [on, off] {
                    try await waitUntil("\(base) answers /api/v1/ping", timeout: .seconds(120)) {
                        try apis.requireRunning()
                        return (try? await http.send(.GET, base + "/api/v1/ping", token: nil).status) == 200
                    }
                }
                benchmarkLog("INFO api metering=on \(on), metering=off \(off) (\(meteringOff)); logs \(logDirectory)")
                let tokens = JSONWebToken(secret: secret)
                let token = { (user: String) throws -> String in
                    try tokens.sign(.init(sub: user, exp: Date().timeIntervalSince1970 + 6 * 3600))
                }
                let connection = try PostgresConnection(url: benchDatabase.url, applicationName: "context0-bench-usage")
                if !skipMetering {
                    try await measureMetering(http: http, on: on, off: off, token: token, connection: connection, apis: apis)
                }
                if !skipWebhooks {
                    try await measureWebhooks(http: http, api: on, token: token, receiver: receiver, connection: connection,
                                              database: benchDatabase, bin: bin, logs: logs, workers: workers, apis: apis)
                }
            } catch {
                await http.shutdown()
                await receiver.stop()
                throw error
            }
            await http.shutdown()
            await receiver.stop()
        }
    }

    // MARK: - Metering and rate limiting

    struct Case: Sendable {
        var name: String
        var path: String
        var authenticated: Bool
        var hot: Bool
        var expected: Set<Int>
    }

    static let allCases: [Case] = [
        Case(name: "ping", path: "/api/v1/ping", authenticated: false, hot: false, expected: [200]),
        Case(name: "auth-only", path: "/api/v1/jobs/0", authenticated: true, hot: false, expected: [400, 422]),
        Case(name: "limits", path: "/api/v1/billing/limits", authenticated: true, hot: false, expected: [200]),
        Case(name: "limits-hot", path: "/api/v1/billing/limits", authenticated: true, hot: true, expected: [200]),
    ]

    private func measureMetering(http: HTTP, on: String, off: String, token: (String) throws -> String,
                                 connection: PostgresConnection, apis: ServerProcesses) async throws {
        let names = cases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let selected = try names.map { name in
            guard let found = Self.allCases.first(where: { $0.name == name }) else { throw ValidationError("unknown case \(name)") }
            return found
        }
        let userIDs = (0..<users).map { "bench-usage-\($0)" }
        let userTokens = try userIDs.map(token)
        let hotToken = try token("bench-usage-hot")
        var sentOn = 0, sentOff = 0

        // Each user's first request alone (creates the user), on both processes; the first
        // answers tell whether the off process really skips metering (no X-RateLimit-*).
        var onHeader: String?, offHeader: String?
        for userToken in userTokens + [hotToken] {
            let a = try await http.send(.GET, on + "/api/v1/billing/limits", token: userToken)
            let b = try await http.send(.GET, off + "/api/v1/billing/limits", token: userToken)
            guard a.status == 200, b.status == 200 else { throw BenchmarkFailure("first /billing/limits answered \(a.status) and \(b.status)") }
            onHeader = a.rateLimit
            offHeader = b.rateLimit
        }
        sentOn += userTokens.count + 1
        let switchWorks = onHeader != nil && offHeader == nil
        if switchWorks {
            benchmarkLog("INFO metering switch: honoured (X-RateLimit-Limit \(onHeader!) with metering on, absent with \(meteringOff))")
        } else {
            sentOff += userTokens.count + 1
            benchmarkLog("WARNING metering switch: NOT honoured: X-RateLimit-Limit is \(onHeader ?? "absent") on, \(offHeader ?? "absent") with \(meteringOff): "
                + "both processes meter, every ratio below compares metering with itself")
        }

        func operation(_ c: Case, base: String) -> @Sendable (Int) async throws -> Void {
            let url = base + c.path
            let tokens: [String?] = !c.authenticated ? [nil] : c.hot ? [hotToken] : userTokens
            let expected = c.expected
            return { [http] index in
                let answer = try await http.send(.GET, url, token: tokens[index % tokens.count])
                guard expected.contains(answer.status) else { throw BenchmarkFailure("\(c.name) \(url) answered \(answer.status)") }
            }
        }
        // Warm-up: connections to both processes, their pools, caches.
        for c in selected {
            _ = try await runClients(clients, requests: 400, operation(c, base: on))
            _ = try await runClients(clients, requests: 400, operation(c, base: off))
        }
        let warmups = selected.filter(\.authenticated).count * 400
        let startCount = try requestCount(connection)

        var lines = [String]()
        for clientCount in [1, clients] {
            let total = clientCount == 1 ? requests : concurrentRequests
            for c in selected {
                benchmarkLog("INFO case=\(c.name) clients=\(clientCount) requests=\(total)×2 loadavg=\(loadAverage())")
                let started = ContinuousClock.now
                let (withMetering, without) = try await interleaved(
                    clientCount, requests: total,
                    operation(c, base: on), operation(c, base: off))
                if c.authenticated {
                    sentOn += total
                    if !switchWorks { sentOff += total }
                }
                benchmarkLog(String(format: "PHASE case=%@ clients=%d seconds=%.1f", c.name, clientCount, (ContinuousClock.now - started).inSeconds))
                for (label, sample) in [("on", withMetering), ("off", without)] {
                    output(String(format: "RESULT bench=usage case=%@ clients=%d metering=%@ p50_ms=%.3f p99_ms=%.3f rps=%.1f",
                                 c.name, clientCount, label, sample.p50, sample.p99, sample.perSecond))
                }
                lines.append(String(format: "RATIO bench=usage case=%@ clients=%d p50=%.3f p99=%.3f rps=%.3f switch=%@",
                                    c.name, clientCount, withMetering.p50 / without.p50, withMetering.p99 / without.p99,
                                    withMetering.perSecond / without.perSecond, switchWorks ? "honoured" : "ignored"))
            }
        }
        lines.forEach(output)
        try apis.requireRunning()

        // The counters the metered process wrote: exactly one per authenticated request it
        // answered (the warm-ups included), none for the other process if the switch works.
        let counted = try requestCount(connection) - startCount
        let measuredOn = sentOn - userTokens.count - 1
        let measuredOff = sentOff - (switchWorks ? 0 : userTokens.count + 1)
        let expected = measuredOn + measuredOff
        benchmarkLog("INFO usage_hourly requests.* counted \(counted) during the measurements; sent to the metered process \(measuredOn), "
            + "to the other \(switchWorks ? "(not metered)" : String(measuredOff)) → \(counted == expected ? "consistent" : "MISMATCH, expected \(expected)")"
            + " (warm-ups before: \(warmups) per process)")
    }

    /// `requests` operations on each of the two processes, in `rounds` batches each, the
    /// order alternating (on, off, off, on, …) so both see the same background load.
    private func interleaved(_ clients: Int, requests: Int, _ on: @escaping @Sendable (Int) async throws -> Void,
                             _ off: @escaping @Sendable (Int) async throws -> Void) async throws -> (Sample, Sample) {
        var samples = [Sample(latencies: [], seconds: 0), Sample(latencies: [], seconds: 0)]
        let perRound = max(1, (requests + rounds - 1) / rounds)
        for (round, first) in stride(from: 0, to: requests, by: perRound).enumerated() {
            for k in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                let sample = try await runClients(clients, operations: first..<min(first + perRound, requests), k == 0 ? on : off)
                samples[k].latencies += sample.latencies
                samples[k].seconds += sample.seconds
            }
        }
        return (samples[0], samples[1])
    }

    private func requestCount(_ connection: PostgresConnection) throws -> Int {
        try connection.query("""
            SELECT coalesce(sum(quantity), 0)::bigint FROM usage_hourly WHERE user_id LIKE 'bench-usage-%' AND metric LIKE 'requests.%'
            """).first!.decode(at: 0, as: Int.self)
    }

    // MARK: - Webhook deliveries

    private func measureWebhooks(http: HTTP, api: String, token: (String) throws -> String, receiver: WebhookReceiver,
                                 connection: PostgresConnection, database: BenchmarkDatabase, bin: URL, logs: URL,
                                 workers: WorkerSlot, apis: ServerProcesses) async throws {
        // One webhook per user, through the API (the SSRF check lets 127.0.0.1 through only
        // because of WEBHOOK_ALLOW_PRIVATE=1), each to its own path of the receiver.
        var secrets = [String: String]()
        let hookUsers = (0..<webhookUsers).map { "bench-hook-\($0)" }
        for user in hookUsers {
            let path = "/hook/\(user)"
            let body = try JSONSerialization.data(withJSONObject: ["url": receiver.baseURL + path, "events": ["*"], "description": "bench-usage"])
            let answer = try await http.send(.POST, api + "/api/v1/webhooks", token: try token(user), json: body, keepBody: true)
            guard answer.status == 201,
                  let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
                  let data = object["data"] as? [String: Any], let secret = data["secret"] as? String
            else { throw BenchmarkFailure("POST /webhooks answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self).prefix(300))") }
            secrets[path] = secret
        }
        benchmarkLog("INFO webhooks=\(hookUsers.count) receiver=\(receiver.baseURL)")

        let counts = try workerCounts.split(separator: ",").map { text -> Int in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else { throw ValidationError("bad --worker-counts \(workerCounts)") }
            return n
        }
        for workerCount in counts {
            let processes = try ServerProcesses(binDirectory: bin, logDirectory: logs)
            workers.current.withLock { $0 = processes }
            let since: Date = try connection.query("SELECT now()").first!.decode(at: 0)
            let environment = [
                "DATABASE_URL": database.url, "LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning",
                "WEBHOOK_ALLOW_PRIVATE": "1", "WORKER_QUEUES": workerQueues,
            ]
            for index in 0..<workerCount {
                try processes.start("context0-worker", name: "worker-\(workerCount)-\(index + 1)", environment: environment)
            }
            try await waitUntil("\(workerCount) workers registered", timeout: .seconds(120)) {
                try processes.requireRunning()
                return try connection.query("SELECT count(*)::bigint FROM workers WHERE started_at >= \(since)").first!.decode(at: 0, as: Int.self) >= workerCount
            }
            // Warm-up: the workers' HTTP connections to the receiver, their pools.
            _ = try await emitAndCollect(count: 100, paced: nil, users: hookUsers, connection: connection, receiver: receiver, processes: processes)

            benchmarkLog("INFO phase=webhooks-burst workers=\(workerCount) events=\(burstEvents) loadavg=\(loadAverage())")
            let burst = try await emitAndCollect(count: burstEvents, paced: nil, users: hookUsers, connection: connection, receiver: receiver, processes: processes)
            try report(burst, mode: "burst", workers: workerCount, secrets: secrets)

            benchmarkLog("INFO phase=webhooks-paced workers=\(workerCount) events=\(pacedEvents) rate=\(pacedRate)/s loadavg=\(loadAverage())")
            let paced = try await emitAndCollect(count: pacedEvents, paced: pacedRate, users: hookUsers, connection: connection, receiver: receiver, processes: processes)
            try report(paced, mode: "paced", workers: workerCount, secrets: secrets)

            processes.stopAll()
            workers.current.withLock { $0 = nil }
        }
        try apis.requireRunning()
        let states = try connection.query("SELECT status, count(*)::bigint AS n FROM webhook_deliveries GROUP BY status ORDER BY status").rows
            .map { "\(try $0.decode("status", as: String.self))=\(try $0.decode("n", as: Int.self))" }
        benchmarkLog("INFO webhook_deliveries by status: \(states.joined(separator: " "))")
    }

    struct Collected {
        var deliveries: [WebhookReceiver.Delivery]
        /// Event id → `created_at` (seconds since 1970, from PostgreSQL).
        var createdAt: [String: Double]
        /// When the burst's statement returned (its commit), seconds since 1970; nil when paced.
        var committedAt: Double?
        var insertSeconds: Double
        var events: Int
        var rate: Int?
    }

    /// Emits `count` `webhook.test` events round-robin over `users` — all in one statement,
    /// or one statement each at `paced` per second — and waits until every delivery has
    /// arrived and is recorded as delivered.
    private func emitAndCollect(count: Int, paced: Int?, users: [String], connection: PostgresConnection,
                                receiver: WebhookReceiver, processes: ServerProcesses) async throws -> Collected {
        _ = receiver.drain()
        let since: Date = try connection.query("SELECT now()").first!.decode(at: 0)
        let quotedUsers = users.map { "'\($0)'" }.joined(separator: ",")
        let started = Date().timeIntervalSince1970
        var committedAt: Double?
        if let rate = paced {
            let clock = ContinuousClock()
            let start = clock.now
            for index in 0..<count {
                try await clock.sleep(until: start + .seconds(Double(index) / Double(rate)))
                try connection.query(PostgresQuery(unsafeSQL: """
                    SELECT count(*) FROM emit_webhook_event('\(users[index % users.count])', 'webhook.test',
                        jsonb_build_object('message', 'bench-usage paced', 'seq', \(index)))
                    """))
            }
        } else {
            try connection.query(PostgresQuery(unsafeSQL: """
                SELECT count(*) FROM generate_series(0, \(count - 1)) g,
                    LATERAL emit_webhook_event((ARRAY[\(quotedUsers)])[g % \(users.count) + 1], 'webhook.test',
                        jsonb_build_object('message', 'bench-usage burst', 'seq', g)) e
                """))
            committedAt = Date().timeIntervalSince1970
        }
        let insertSeconds = Date().timeIntervalSince1970 - started
        try await waitUntil("\(count) deliveries received", timeout: .seconds(phaseTimeout), every: .milliseconds(20)) {
            try processes.requireRunning()
            return receiver.count >= count
        }
        try await waitUntil("every delivery recorded", timeout: .seconds(phaseTimeout), every: .milliseconds(50)) {
            try connection.query("SELECT count(*)::bigint FROM webhook_deliveries WHERE status <> 'delivered'").first!.decode(at: 0, as: Int.self) == 0
        }
        let deliveries = receiver.drain()
        var createdAt = [String: Double]()
        for row in try connection.query("SELECT id, extract(epoch FROM created_at)::float8 AS t FROM webhook_events WHERE created_at >= \(since)").rows {
            createdAt[try row.decode("id", as: String.self)] = try row.decode("t", as: Double.self)
        }
        return Collected(deliveries: deliveries, createdAt: createdAt, committedAt: committedAt, insertSeconds: insertSeconds,
                         events: count, rate: paced)
    }

    @discardableResult
    private func report(_ collected: Collected, mode: String, workers: Int, secrets: [String: String]) throws -> String {
        let deliveries = collected.deliveries
        let unique = Set(deliveries.map(\.eventID))
        let invalid = deliveries.filter { !$0.signatureIsValid(secret: secrets[$0.path] ?? "") }.count
        let unknown = deliveries.filter { collected.createdAt[$0.eventID] == nil }.count
        let arrivals = deliveries.map(\.receivedAt)
        let first = arrivals.min() ?? 0, last = arrivals.max() ?? 0
        // Latency: from the event's creation (paced: `created_at`, the start of its own
        // one-statement transaction) or, for the burst, from the commit of the statement that
        // created them all (before it, no worker can see any of them).
        let latencies = deliveries.compactMap { delivery -> Double? in
            guard let created = collected.createdAt[delivery.eventID] else { return nil }
            return (delivery.receivedAt - max(created, collected.committedAt ?? created)) * 1000
        }
        let sample = Sample(latencies: latencies, seconds: max(last - first, 1e-9))
        let perSecond = Double(deliveries.count) / max(last - first, 1e-9)
        if invalid > 0 || unknown > 0 || unique.count != deliveries.count || deliveries.count != collected.events {
            benchmarkLog("WARNING webhooks mode=\(mode) workers=\(workers): received \(deliveries.count) for \(collected.events) events, "
                + "\(unique.count) distinct, \(invalid) bad signatures, \(unknown) unknown event ids")
        }
        var info = String(format: "INFO webhooks mode=%@ workers=%d received=%d distinct=%d bad_signatures=%d first_to_last_s=%.2f insert_s=%.2f",
                          mode, workers, deliveries.count, unique.count, invalid, last - first, collected.insertSeconds)
        if let committed = collected.committedAt {
            info += String(format: " commit_to_last_s=%.2f deliveries_per_s_from_commit=%.1f", last - committed, Double(deliveries.count) / (last - committed))
        }
        benchmarkLog(info)
        let line = String(format: "RESULT bench=webhooks mode=%@%@ workers=%d deliveries=%d deliveries_per_s=%.1f latency_p50_ms=%.2f latency_p99_ms=%.2f",
                          mode, collected.rate.map { " rate=\($0)" } ?? "", workers, deliveries.count, perSecond, sample.p50, sample.p99)
        output(line)
        return line
    }

    // MARK: - Helpers

    /// A RESULT or RATIO line, on stdout at once (stdout may be a pipe).
    private func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// The worker processes of the current webhook phase, for the clean-up paths.
final class WorkerSlot: Sendable {
    let current = Mutex<ServerProcesses?>(nil)
}

extension Duration {
    /// Seconds (as a Double).
    var inSeconds: Double { milliseconds / 1000 }
}
