import BenchmarkSupport
import Foundation
import Postgres

/// The last phase of `make bench-api`: one tenant floods the embedding queue, another adds
/// a single document; how long until that document is searchable by meaning, and how much
/// of the flood is still waiting then.
struct FairnessPhase {
    let api: APIClient
    let connection: PostgresConnection
    let floodToken: String
    let quietToken: String
    let floodDocuments: Int
    let samples: Int
    let pollMilliseconds: Int

    static let floodUser = "bench-flood"

    /// Adds the flood (100 documents a request, one chunk each), then `samples` single
    /// documents of the quiet tenant one at a time; deletes the flood afterwards, which
    /// cancels its jobs. Prints `RESULT bench=api op=fair-indexed …`.
    func run() async throws {
        let clock = ContinuousClock.now
        for first in stride(from: 0, to: floodDocuments, by: 100) {
            let documents = (first..<min(first + 100, floodDocuments)).map {
                ["content": "Flood note \($0): the quarterly report lists \(UUID().uuidString) among the open items."]
            }
            let body = try JSONSerialization.data(withJSONObject: ["documents": documents, "source": "bench-flood"] as [String: Any])
            let answer = try await api.post("/api/v1/context/add", token: floodToken, body: body)
            guard answer.status == 201 else { throw BenchmarkFailure("flood add answered \(answer.status)") }
        }
        benchmarkLog(String(format: "INFO fairness flood=%d documents added in %.1f s, %d waiting", floodDocuments,
                            (ContinuousClock.now - clock).seconds, try waiting()))
        var latencies = [Double]()
        var backlog = [Int]()
        for sample in 0..<samples {
            let marker = "The quiet tenant's note number \(sample) mentions the \(UUID().uuidString.prefix(8)) heron."
            let body = try JSONSerialization.data(withJSONObject: ["documents": [["content": marker]], "source": "bench-quiet"] as [String: Any])
            let answer = try await api.post("/api/v1/context/add", token: quietToken, body: body)
            let added = ContinuousClock.now
            guard answer.status == 201,
                  let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
                  let id = (object["documents"] as? [[String: Any]])?.first?["id"] as? String
            else { throw BenchmarkFailure("quiet add answered \(answer.status)") }
            try await waitUntil("the quiet tenant's note \(sample) by meaning", timeout: .seconds(600), every: .milliseconds(pollMilliseconds)) {
                let found = try await api.post("/api/v1/context/search", token: quietToken, body: try APIBenchmark.searchBody(marker))
                guard found.status == 202 else { throw BenchmarkFailure("search answered \(found.status)") }
                return try JSONDecoder().decode(SearchAnswer.self, from: found.body).results.contains { $0.documentId == id && $0.similarity != nil }
            }
            latencies.append((ContinuousClock.now - added).milliseconds)
            backlog.append(try waiting())
        }
        let sample = Sample(latencies: latencies, seconds: 1)
        print(String(format: "RESULT bench=api op=fair-indexed clients=1 flood=%d p50_ms=%.2f p99_ms=%.2f flood_waiting_min=%d flood_waiting_max=%d",
                     floodDocuments, sample.p50, sample.p99, backlog.min() ?? 0, backlog.max() ?? 0))
        let delete = try JSONSerialization.data(withJSONObject: ["source": "bench-flood"])
        _ = try await api.post("/api/v1/context/delete", token: floodToken, body: delete)
    }

    /// The flood's documents not yet indexed.
    private func waiting() throws -> Int {
        try connection.query("""
            SELECT count(*) AS n FROM context_documents WHERE user_id = \(Self.floodUser) AND state <> 'indexed'
            """).first!.decode("n", as: Int.self)
    }
}
