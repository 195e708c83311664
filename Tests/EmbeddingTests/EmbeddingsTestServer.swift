import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with whatever its script says,
/// and records the requests, for testing `OpenAIEmbedder` against the real protocol.
final class EmbeddingsTestServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: Data

        /// The `input` texts of an embeddings request.
        var inputs: [String] {
            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
            return object?["input"] as? [String] ?? []
        }

        var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: Data

        /// A valid embeddings response. For an input that is a number `n` the vector is
        /// `2 · e(n mod dimension)` (not normalised, to check that the client normalises).
        static func embeddings(for inputs: [String], dimension: Int = 384, reversed: Bool = false) -> Response {
            var items = inputs.enumerated().map { index, text -> [String: Any] in
                var vector = [Double](repeating: 0, count: dimension)
                vector[(Int(text) ?? index) % dimension] = 2
                return ["object": "embedding", "index": index, "embedding": vector]
            }
            if reversed { items.reverse() }
            let object: [String: Any] = ["object": "list", "model": "test", "data": items]
            return Response(status: 200, body: try! JSONSerialization.data(withJSONObject: object))
        }

        static func error(_ status: Int, message: String, headers: [String: String] = [:]) -> Response {
            let body = try! JSONSerialization.data(withJSONObject: ["error": ["message": message, "type": "test"]])
            return Response(status: status, headers: headers, body: body)
        }
    }

    /// Decides the answer to the `index`th request (from 0); nil means never answer.
    typealias Script = @Sendable (_ index: Int, _ request: Request) -> Response?

    let port: Int
    private let channel: any Channel
    private let log: RequestLog

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }
    var requests: [Request] { log.all }

    private init(channel: any Channel, log: RequestLog) {
        self.channel = channel
        self.log = log
        self.port = channel.localAddress?.port ?? 0
    }

    static func start(_ script: @escaping Script) async throws -> EmbeddingsTestServer {
        let log = RequestLog(script: script)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return EmbeddingsTestServer(channel: channel, log: log)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [EmbeddingsTestServer.Request] = []
    private let script: EmbeddingsTestServer.Script

    init(script: @escaping EmbeddingsTestServer.Script) {
        self.script = script
    }

    var all: [EmbeddingsTestServer.Request] { lock.withLock { requests } }

    func answer(_ request: EmbeddingsTestServer.Request) -> EmbeddingsTestServer.Response? {
        let index = lock.withLock {
            requests.append(request)
            return requests.count - 1
        }
        return script(index, request)
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: RequestLog
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(log: RequestLog) {
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
            let request = EmbeddingsTestServer.Request(
                method: head.method.rawValue, uri: head.uri,
                headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 }),
                body: Data(body.readableBytesView)
            )
            guard let response = log.answer(request) else { return }
            write(response, version: head.version, context: context)
        }
    }

    private func write(_ response: EmbeddingsTestServer.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(response.body.count)")])
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
