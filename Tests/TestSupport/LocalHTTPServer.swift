import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 standing in for the outside world in tests (an
/// embeddings service, a chat-completions service, a webhook receiver): it records every
/// request and answers with whatever its handler says, or never when it says nil. A plain
/// handler answers at once on the server's event loop (independent of how busy the test's
/// own tasks are); a `waiting:` handler may take its time (a slow receiver, a model held back
/// by a test).
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
    public typealias Handler = @Sendable (_ index: Int, _ request: Request) -> Response?
    /// The same, for answers that wait for something first.
    public typealias WaitingHandler = @Sendable (_ index: Int, _ request: Request) async -> Response?

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
        try await start(basePath: basePath, responder: .immediate(handler))
    }

    public static func start(basePath: String = "", waiting handler: @escaping WaitingHandler) async throws -> LocalHTTPServer {
        try await start(basePath: basePath, responder: .eventual(handler))
    }

    private static func start(basePath: String, responder: Responder) async throws -> LocalHTTPServer {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(log: log, responder: responder))
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

private enum Responder: Sendable {
    case immediate(LocalHTTPServer.Handler)
    case eventual(LocalHTTPServer.WaitingHandler)
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
    private let responder: Responder
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(log: RequestLog, responder: Responder) {
        self.log = log
        self.responder = responder
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
            guard case .eventual(let handler) = responder else {
                if case .immediate(let handler) = responder, let response = handler(index, request) {
                    write(response, version: head.version, context: context)
                }
                return
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let version = head.version
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
