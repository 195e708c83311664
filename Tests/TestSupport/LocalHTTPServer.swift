import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 standing in for the outside world in tests (an
/// embeddings service, a chat-completions service, a webhook receiver): it records every
/// request and answers with whatever its handler says. The handler may take its time (a
/// receiver that is slow, a model held back by a test) or return nil to never answer.
public final class LocalHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        /// Names lowercased.
        public var headers: [String: String]
        public var body: Data
        public var receivedAt: Date

        /// The body as a JSON object (empty if it is not one).
        public var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        /// Send the head, then never the body (a server that stalls mid-response).
        public var stallsAfterHead: Bool

        public init(status: Int, headers: [String: String] = [:], body: Data = Data(), stallsAfterHead: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.stallsAfterHead = stallsAfterHead
        }

        /// A JSON answer.
        public static func json(_ object: Any, status: Int = 200, headers: [String: String] = [:]) -> Response {
            var headers = headers
            headers["Content-Type"] = "application/json"
            return Response(status: status, headers: headers, body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }
    }

    /// Answers the `index`th request (from 0); nil never answers.
    public typealias Handler = @Sendable (_ index: Int, _ request: Request) async -> Response?

    public let port: Int
    /// Prefixed to the server's address in `baseURL` (e.g. `/v1` for OpenAI-style services).
    public let basePath: String
    private let channel: any Channel
    private let log: RequestLog

    public var baseURL: String { "http://127.0.0.1:\(port)\(basePath)" }
    public var requests: [Request] { log.all }

    private init(channel: any Channel, log: RequestLog, basePath: String) {
        self.channel = channel
        self.log = log
        self.basePath = basePath
        port = channel.localAddress?.port ?? 0
    }

    public static func start(basePath: String = "", _ handler: @escaping Handler) async throws -> LocalHTTPServer {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(log: log, handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return LocalHTTPServer(channel: channel, log: log, basePath: basePath)
    }

    public func stop() async {
        try? await channel.close()
    }
}

private final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [LocalHTTPServer.Request] = []

    var all: [LocalHTTPServer.Request] { lock.withLock { requests } }

    /// Records the request; its index.
    func record(_ request: LocalHTTPServer.Request) -> Int {
        lock.withLock {
            requests.append(request)
            return requests.count - 1
        }
    }
}

private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: RequestLog
    private let handler: LocalHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(log: RequestLog, handler: @escaping LocalHTTPServer.Handler) {
        self.log = log
        self.handler = handler
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
            let request = LocalHTTPServer.Request(
                method: head.method.rawValue, uri: head.uri,
                headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 }),
                body: Data(body.readableBytesView), receivedAt: Date())
            let index = log.record(request)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let version = head.version
            let handler = handler
            Task {
                guard let response = await handler(index, request) else { return }
                eventLoop.execute {
                    let (this, context) = bound.value
                    this.write(response, version: version, context: context)
                }
            }
        }
    }

    private func write(_ response: LocalHTTPServer.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Length", "\(response.body.count)")])
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !headers.contains(name: "Content-Type") && !response.body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        guard !response.stallsAfterHead else {
            context.flush()
            return
        }
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
