import Foundation

/// Latencies of one phase, in milliseconds, and how long the phase took.
public struct Sample {
    public var latencies: [Double]
    public var seconds: Double

    public var p50: Double { percentile(0.50) }
    public var p99: Double { percentile(0.99) }
    public var perSecond: Double { Double(latencies.count) / seconds }

    public init(latencies: [Double], seconds: Double) {
        self.latencies = latencies
        self.seconds = seconds
    }

    /// Nearest-rank percentile.
    public func percentile(_ fraction: Double) -> Double {
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Duration {
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// Runs `requests` operations from `clients` closed-loop clients (each sends its next
/// request when its previous one is answered); client c does operations c, c + clients, ….
/// The sample's latencies are in operation order.
public func runClients(_ clients: Int, requests: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Sample {
    try await runClients(clients, operations: 0..<requests, operation)
}

public func runClients(_ clients: Int, operations: Range<Int>, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Sample {
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
    return Sample(latencies: latencies, seconds: (ContinuousClock.now - start).milliseconds / 1000)
}

/// Runs each of `operations` over the same `requests` operation indices, in `rounds` rounds
/// that alternate between them, so that every operation sees the same background load.
/// One sample per operation, latencies in operation order, seconds added up over its rounds.
public func runInterleaved(_ clients: Int, requests: Int, rounds: Int, _ operations: [@Sendable (Int) async throws -> Void]) async throws -> [Sample] {
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

/// A benchmark step that could not be carried out.
public struct BenchmarkFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
