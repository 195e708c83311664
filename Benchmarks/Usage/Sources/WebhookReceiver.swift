import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server that receives webhook deliveries: answers every request `204` at
/// once and records, per request, when it fully arrived (wall clock, to compare with the
/// events' `created_at` from PostgreSQL on the same machine), its path, the Standard
/// Webhooks headers and the body (signatures are checked after a phase, not while
/// receiving, so checking costs the delivery path nothing).
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var path: String
        var eventID: String
        var timestamp: String
        var signature: String
        var body: Data
        /// Seconds since 1970 when the request's end arrived.
        var receivedAt: Double

        /// The `webhook-signature` check a Standard Webhooks receiver makes.
        func signatureIsValid(secret: String) -> Bool {
            guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
            var message = Data("\(eventID).\(timestamp).".utf8)
            message.append(body)
            let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).base64EncodedString()
            return signature.split(separator: " ").contains { $0 == expected }
        }
    }

    let port: Int
    private let channel: any Channel
    private let log: Mutex<[Delivery]>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var count: Int { log.withLock { $0.count } }

    /// Everything received so far, and forgets it.
    func drain() -> [Delivery] {
        log.withLock { entries in
            defer { entries = [] }
            return entries
        }
    }

    private init(channel: any Channel) {
        self.channel = channel
        log = Mutex([])
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> WebhookReceiver {
        let box = LogBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ReceiverHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let receiver = WebhookReceiver(channel: channel)
        box.receiver.withLock { $0 = receiver }
        return receiver
    }

    fileprivate func record(_ delivery: Delivery) {
        log.withLock { $0.append(delivery) }
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Lets handlers created before the receiver exists reach it.
private final class LogBox: Sendable {
    let receiver = Mutex<WebhookReceiver?>(nil)
}

private final class ReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: LogBox
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(box: LogBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            let now = Date().timeIntervalSince1970
            guard let head else { return }
            box.receiver.withLock { $0 }?.record(.init(
                path: head.uri, eventID: head.headers.first(name: "webhook-id") ?? "",
                timestamp: head.headers.first(name: "webhook-timestamp") ?? "",
                signature: head.headers.first(name: "webhook-signature") ?? "",
                body: Data(body.readableBytesView), receivedAt: now))
            let response = HTTPResponseHead(version: head.version, status: .noContent)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
