import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Postgres
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Helpers of `context0-bench-memories`, after Sources/APIBenchmark (an executable target,
// so not importable): the run's database, the server processes, the clients, percentiles.

/// A database created for one run (dropped and created again), migrated, dropped at the end.
struct BenchmarkDatabase {
    let serverURL: String
    let name: String
    let url: String

    init(serverURL: String, name: String) throws {
        self.serverURL = serverURL
        self.name = name
        var components = URLComponents(string: serverURL)!
        components.path = "/" + name
        url = components.string!
        let admin = try PostgresConnection(url: serverURL)
        let quoted = PostgresConnection.quoteIdentifier(name)
        try admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)"))
        try admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)"))
        guard let folder = Migrator.locateDirectory(environment: ProcessInfo.processInfo.environment) else {
            throw ValidationError("no sql/ folder found: run from the project folder or set MIGRATIONS_DIR")
        }
        try Migrator(directory: folder).migrate(PostgresConnection(url: url))
    }

    func drop() throws {
        try PostgresConnection(url: serverURL).query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)"))
    }
}

/// The API and worker processes this run started, stopped on every exit path.
final class ServerProcesses: Sendable {
    private let processes = Mutex<[(name: String, process: Process)]>([])
    let logDirectory: URL
    let binDirectory: URL

    init(binDirectory: URL, logDirectory: URL) throws {
        self.binDirectory = binDirectory
        self.logDirectory = logDirectory
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    func start(_ executable: String, name: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(executable)
        var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        merged["LLM_BASE_URL"] = nil // offline mode: no LLM, whatever the caller's shell has
        process.environment = merged
        let log = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes.withLock { $0.append((name, process)) }
    }

    func requireRunning() throws {
        for (name, process) in processes.withLock({ $0 }) where !process.isRunning {
            throw ValidationError("\(name) exited with status \(process.terminationStatus); see \(logDirectory.path)/\(name).log")
        }
    }

    /// SIGTERM to all, then SIGKILL to any still running after `grace`.
    func stopAll(grace: Duration = .seconds(10)) {
        let all = processes.withLock { list in
            defer { list = [] }
            return list
        }
        for (_, process) in all where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while all.contains(where: { $0.process.isRunning }), ContinuousClock.now < deadline { usleep(50_000) }
        for (_, process) in all where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// On SIGINT or SIGTERM: stop the child processes, drop the database, exit.
final class SignalCleanup: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(_ cleanup: @escaping @Sendable () -> Void) {
        var sources = [any DispatchSourceSignal]()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("context0-bench-memories: interrupted, cleaning up\n".utf8))
                cleanup()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    func cancel() { sources.withLock { $0.forEach { $0.cancel() } } }
}

/// A free TCP port on 127.0.0.1.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw ValidationError("cannot find a free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Latencies of one phase, in milliseconds, and how long the phase took.
struct Sample {
    var latencies: [Double]
    var seconds: Double

    var p50: Double { percentile(0.50) }
    var p99: Double { percentile(0.99) }
    var perSecond: Double { Double(latencies.count) / seconds }

    /// Nearest-rank percentile.
    func percentile(_ fraction: Double) -> Double {
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
    var seconds: Double { milliseconds / 1000 }
}

/// `requests` operations from `clients` closed-loop clients; client c does c, c + clients, ….
func runClients(_ clients: Int, requests: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Sample {
    let start = ContinuousClock.now
    var latencies = [Double]()
    try await withThrowingTaskGroup(of: [Double].self) { group in
        for client in 0..<clients {
            group.addTask {
                var mine = [Double]()
                for index in stride(from: client, to: requests, by: clients) {
                    let begin = ContinuousClock.now
                    try await operation(index)
                    mine.append((ContinuousClock.now - begin).milliseconds)
                }
                return mine
            }
        }
        for try await part in group { latencies += part }
    }
    return Sample(latencies: latencies, seconds: (ContinuousClock.now - start).seconds)
}

/// The API over URLSession (FoundationNetworking: libcurl, keep-alive connections).
final class APIClient: @unchecked Sendable {
    let session: URLSession
    let baseURL: String

    init(baseURL: String) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 120
        session = URLSession(configuration: configuration)
        self.baseURL = baseURL
    }

    struct Answer {
        var status: Int
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var text: String { String(decoding: body.prefix(300), as: UTF8.self) }
    }

    func post(_ path: String, token: String, json: [String: Any]) async throws -> Answer {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        let (body, response) = try await session.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: body)
    }

    func get(_ path: String) async -> Int? {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.timeoutInterval = 2
        guard let (_, response) = try? await session.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func waitUntil(_ what: String, timeout: Duration, every: Duration = .milliseconds(200), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: every)
    }
    throw BenchmarkFailure("timed out waiting for \(what)")
}
