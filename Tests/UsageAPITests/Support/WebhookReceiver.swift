import Crypto
import Foundation
import TestSupport

/// Webhook deliveries received on a `LocalHTTPServer`. By path: `/ok…` answers 204;
/// `/fail…` 500; `/flaky/N…` 503 the first N times, then 204; `/slow…` waits 30 s, then 204;
/// `/redirect/<rest>` 307 to `/<rest>` on this server.
final class WebhookReceiver: Sendable {
    typealias Delivery = LocalHTTPServer.Request

    private let server: LocalHTTPServer

    var port: Int { server.port }
    var baseURL: String { server.baseURL }
    var deliveries: [Delivery] { server.requests }

    func deliveries(to path: String) -> [Delivery] { deliveries.filter { $0.uri.hasPrefix(path) } }

    private init(server: LocalHTTPServer) {
        self.server = server
    }

    static func start() async throws -> WebhookReceiver {
        let seen = PathCounter()
        let server = try await LocalHTTPServer.start(waiting: { _, request in
            let path = request.uri
            if path.hasPrefix("/redirect/") { return .init(status: 307, headers: ["Location": "/" + path.dropFirst("/redirect/".count)]) }
            if path.hasPrefix("/fail") { return .init(status: 500) }
            if path.hasPrefix("/slow") {
                try? await Task.sleep(for: .seconds(30))
                return .init(status: 204)
            }
            if path.hasPrefix("/flaky/") {
                let failures = Int(path.split(separator: "/")[1]) ?? 0
                return .init(status: seen.next(path) <= failures ? 503 : 204)
            }
            return .init(status: 204)
        })
        return WebhookReceiver(server: server)
    }

    func stop() async {
        await server.stop()
    }
}

/// How many requests each path has had.
private final class PathCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    /// Counts one more request to `path`; how many there have been (from 1).
    func next(_ path: String) -> Int {
        lock.withLock {
            counts[path, default: 0] += 1
            return counts[path]!
        }
    }
}

extension LocalHTTPServer.Request {
    var type: String? { json["type"] as? String }
    var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }

    /// Verifies `webhook-signature` as a Standard Webhooks receiver would.
    func signatureIsValid(secret: String) -> Bool {
        guard let id = headers["webhook-id"], let timestamp = headers["webhook-timestamp"],
              let signatures = headers["webhook-signature"],
              let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).base64EncodedString()
        return signatures.split(separator: " ").contains { $0 == "v1,\(expected)" }
    }
}
