import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with whatever its script says,
/// and records the requests, for testing `ChatCompletionsClient` against the real protocol.
final class ChatCompletionsTestServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: Data

        var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
        }

        /// The `messages` of a chat completion request, as (role, content) pairs.
        var messages: [(role: String, content: String)] {
            let items = json["messages"] as? [[String: Any]] ?? []
            return items.map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: Data
        /// Send the head, then never the body (a server that stalls mid-response).
        var stallsAfterHead = false

        /// A successful chat completion whose first choice says `content`.
        static func completion(
            _ content: String, model: String = "served-model", promptTokens: Int = 11, completionTokens: Int = 7
        ) -> Response {
            let object: [String: Any] = [
                "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
                "usage": [
                    "prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                    "total_tokens": promptTokens + completionTokens,
                ],
            ]
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

    static func start(_ script: @escaping Script) async throws -> ChatCompletionsTestServer {
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
        return ChatCompletionsTestServer(channel: channel, log: log)
    }

    /// A server answering every request with the next of `responses` (the last one repeats).
    static func answering(_ responses: Response...) async throws -> ChatCompletionsTestServer {
        try await start { index, _ in responses[min(index, responses.count - 1)] }
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [ChatCompletionsTestServer.Request] = []
    private let script: ChatCompletionsTestServer.Script

    init(script: @escaping ChatCompletionsTestServer.Script) {
        self.script = script
    }

    var all: [ChatCompletionsTestServer.Request] { lock.withLock { requests } }

    func answer(_ request: ChatCompletionsTestServer.Request) -> ChatCompletionsTestServer.Response? {
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
            let request = ChatCompletionsTestServer.Request(
                method: head.method.rawValue, uri: head.uri,
                headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 }),
                body: Data(body.readableBytesView)
            )
            guard let response = log.answer(request) else { return }
            write(response, version: head.version, context: context)
        }
    }

    private func write(_ response: ChatCompletionsTestServer.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(response.body.count)")])
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        guard !response.stallsAfterHead else {
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
