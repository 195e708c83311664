import BenchmarkSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// What only `context0-bench-memories` needs; the rest is in BenchmarkSupport.

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
