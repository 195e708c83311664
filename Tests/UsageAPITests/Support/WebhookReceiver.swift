import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A local HTTP server receiving webhook deliveries. By path:
/// `/ok…` answers 204; `/fail…` 500; `/flaky/N…` 503 the first N times, then 204;
/// `/slow…` waits 3 s then 204; `/redirect/<rest>` 307 to `/<rest>` on this server.
/// Every request is recorded with its headers and body.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var path: String
        var headers: [String: String]
        var body: Data
        var receivedAt: Date

        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
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

    let port: Int
    private let channel: any Channel
    private let log: ReceiverLog

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var deliveries: [Delivery] { log.all }

    func deliveries(to path: String) -> [Delivery] { log.all.filter { $0.path.hasPrefix(path) } }

    private init(channel: any Channel, log: ReceiverLog) {
        self.channel = channel
        self.log = log
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> WebhookReceiver {
        let log = ReceiverLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ReceiverHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return WebhookReceiver(channel: channel, log: log)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class ReceiverLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [WebhookReceiver.Delivery] = []

    var all: [WebhookReceiver.Delivery] { lock.withLock { entries } }

    /// Records the request; the status to answer and where to redirect.
    func record(_ delivery: WebhookReceiver.Delivery) -> (status: Int, location: String?, delay: Bool) {
        lock.withLock {
            entries.append(delivery)
            let path = delivery.path
            if path.hasPrefix("/redirect/") { return (307, "/" + path.dropFirst("/redirect/".count), false) }
            if path.hasPrefix("/fail") { return (500, nil, false) }
            if path.hasPrefix("/slow") { return (204, nil, true) }
            if path.hasPrefix("/flaky/") {
                let failures = Int(path.split(separator: "/")[1]) ?? 0
                let seen = entries.filter { $0.path == path }.count
                return (seen <= failures ? 503 : 204, nil, false)
            }
            return (204, nil, false)
        }
    }
}

private final class ReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: ReceiverLog
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(log: ReceiverLog) {
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            var headers = [String: String]()
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let (status, location, delay) = log.record(.init(path: head.uri, headers: headers, body: Data(body.readableBytesView), receivedAt: Date()))
            var responseHeaders = HTTPHeaders([("Content-Length", "0")])
            if let location { responseHeaders.add(name: "Location", value: location) }
            let response = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
            guard delay else {
                answer(response, context: context)
                return
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .seconds(3)) {
                let (handler, context) = bound.value
                handler.answer(response, context: context)
            }
        }
    }

    private func answer(_ response: HTTPResponseHead, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
