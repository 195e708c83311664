import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import NIOCore
import NIOHTTP1

/// The API over HTTP/1.1 keep-alive connections (AsyncHTTPClient, up to 64 per host; each
/// API process is its own host:port, so each has its own pool).
struct HTTP: Sendable {
    let client: HTTPClient

    init() {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    struct Answer: Sendable {
        var status: Int
        /// `X-RateLimit-Limit`, if the answer carried it.
        var rateLimit: String?
        var body: Data
    }

    /// One request; the body is read (and kept only when `keepBody`).
    func send(_ method: HTTPMethod, _ url: String, token: String?, json: Data? = nil, keepBody: Bool = false) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        var body = Data()
        if keepBody {
            let bytes = try await response.body.collect(upTo: 16 << 20)
            body = Data(bytes.readableBytesView)
        } else {
            for try await _ in response.body {}
        }
        return Answer(status: Int(response.status.code), rateLimit: response.headers.first(name: "X-RateLimit-Limit"), body: body)
    }
}
