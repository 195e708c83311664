import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

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

/// Runs `requests` operations from `clients` closed-loop clients (each sends its next
/// request when its previous one is answered); client c does operations c, c + clients, ….
/// The sample's latencies are in operation order.
func runClients(_ clients: Int, requests: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Sample {
    try await runClients(clients, operations: 0..<requests, operation)
}

func runClients(_ clients: Int, operations: Range<Int>, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Sample {
    let start = ContinuousClock.now
    var latencies = [Double](repeating: .nan, count: operations.count)
    try await withThrowingTaskGroup(of: [(Int, Double)].self) { group in
        for client in 0..<clients {
            group.addTask {
                var mine = [(Int, Double)]()
                for index in stride(from: operations.lowerBound + client, to: operations.upperBound, by: clients) {
                    let begin = ContinuousClock.now
                    // Let the other clients in: an operation that never suspends (the
                    // embedder runs short queries inline) would otherwise run back to back,
                    // and its wait for a thread would not be counted.
                    await Task.yield()
                    try await operation(index)
                    mine.append((index, (ContinuousClock.now - begin).milliseconds))
                }
                return mine
            }
        }
        for try await part in group {
            for (index, latency) in part { latencies[index - operations.lowerBound] = latency }
        }
    }
    return Sample(latencies: latencies, seconds: (ContinuousClock.now - start).seconds)
}

/// Runs each of `operations` over the same `requests` operation indices, in `rounds` rounds
/// that alternate between them, so that every operation sees the same background load.
/// One sample per operation, latencies in operation order, seconds added up over its rounds.
func runInterleaved(_ clients: Int, requests: Int, rounds: Int, _ operations: [@Sendable (Int) async throws -> Void]) async throws -> [Sample] {
    var samples = operations.map { _ in Sample(latencies: [], seconds: 0) }
    let perRound = max(1, (requests + rounds - 1) / rounds)
    for first in stride(from: 0, to: requests, by: perRound) {
        for (k, operation) in operations.enumerated() {
            let sample = try await runClients(clients, operations: first..<min(first + perRound, requests), operation)
            samples[k].latencies += sample.latencies
            samples[k].seconds += sample.seconds
        }
    }
    return samples
}

/// The API over HTTP/1.1 keep-alive connections (AsyncHTTPClient, up to 64 per host).
struct APIClient: Sendable {
    let http: HTTPClient
    let baseURL: String

    init(baseURL: String) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(120))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    struct Answer {
        var status: Int
        var body: Data
    }

    func post(_ path: String, token: String, body: Data) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), body: Data(buffer: bytes))
    }

    func get(_ path: String) async -> Int? {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(2)) else { return nil }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}

/// The parts of a search answer the benchmark checks.
struct SearchAnswer: Decodable {
    struct Hit: Decodable {
        var contextId: String
        var documentId: String?
    }

    var results: [Hit]
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
