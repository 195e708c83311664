import BenchmarkSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

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
        /// Null while the chunk is found by its words only (not yet embedded).
        var similarity: Double?
    }

    var results: [Hit]
}

