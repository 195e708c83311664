import Foundation
import TestSupport
import NIOCore
import NIOHTTP1
import NIOPosix

/// A local HTTP/1.1 server speaking OpenAI's `/v1/chat/completions` with scripted answers
/// (adapted from `LLMTests/ChatCompletionsTestServer`): the worker's fact extraction, the
/// API's chat replies and Q&A answers all reach it when `LLM_BASE_URL` points here.
///
/// What it answers, by the system prompt of the request:
/// - extraction ("extract durable facts"): `{"facts": […]}`, the first-person sentences of
///   the statements, with "Remember that …" / "Please note that …" stripped, something
///   the offline rules do not do, so a test can tell the modes apart; statements containing
///   "garble" always get an invalid `{"facts": [""]}`;
/// - Q&A ("Answer the user's question"): `{"answer": "According to source 1: <its text>",
///   "citations": [1]}`; a question containing "validate me" first gets citations that do
///   not exist (the server must reject them and ask again);
/// - chat ("helpful assistant"): a plain reply, `Scripted reply: <message>`.
/// Every answer carries the token usage of `Usage`.
final class ScriptedLLM: Sendable {
    enum Usage {
        static let extraction = (prompt: 101, completion: 11)
        static let qa = (prompt: 202, completion: 22)
        static let chat = (prompt: 303, completion: 33)
    }

    static let servedModel = "scripted-served-model"

    struct Request: Sendable {
        var uri: String
        var body: Data

        var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
        }

        var messages: [(role: String, content: String)] {
            let items = json["messages"] as? [[String: Any]] ?? []
            return items.map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
        }

        var system: String { messages.first { $0.role == "system" }?.content ?? "" }
        var isExtraction: Bool { system.contains("extract durable facts") }
        var isQuestion: Bool { system.contains("Answer the user's question") }
        var isChat: Bool { system.contains("helpful assistant") }
        /// The first user message: the statements, the sources and question, or the chat.
        var firstUserContent: String { messages.first { $0.role == "user" }?.content ?? "" }
        var lastUserContent: String { messages.last { $0.role == "user" }?.content ?? "" }
        var isCorrection: Bool { lastUserContent.contains("Your previous reply was not valid JSON") }
    }

    struct Response: Sendable {
        var status: Int
        var body: Data
        /// Answer only once this opens.
        var hold: Gate?
    }

    let port: Int
    private let channel: any Channel
    private let state: ScriptState

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }
    var requests: [Request] { state.requests }

    private init(channel: any Channel, state: ScriptState) {
        self.channel = channel
        self.state = state
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> ScriptedLLM {
        let state = ScriptState()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedLLMHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedLLM(channel: channel, state: state)
    }

    func stop() async {
        await state.openAllHolds()
        try? await channel.close()
    }

    /// Extraction requests whose statements contain `marker` are answered only once the
    /// returned gate opens.
    func holdExtractions(containing marker: String) -> Gate {
        state.hold(marker)
    }

    // MARK: The script

    static func answer(_ request: Request) -> (content: String, usage: (prompt: Int, completion: Int)) {
        if request.isExtraction {
            if request.firstUserContent.contains("garble") {
                return (json(["facts": [""]]), Usage.extraction)
            }
            return (json(["facts": facts(in: request.firstUserContent)]), Usage.extraction)
        }
        if request.isQuestion {
            let content = request.firstUserContent
            if content.contains("validate me"), !request.isCorrection {
                return (json(["answer": "an answer citing nothing real", "citations": [42]] as [String: Any]), Usage.qa)
            }
            let first = content.split(separator: "\n").first { $0.hasPrefix("[1] ") }.map { line in
                String(line.dropFirst(4)).replacingOccurrences(of: #"^\([^)]*\) "#, with: "", options: .regularExpression)
            }
            guard let first else { return (json(["answer": "I do not know.", "citations": [Int]()] as [String: Any]), Usage.qa) }
            return (json(["answer": "According to source 1: \(first)", "citations": [1]] as [String: Any]), Usage.qa)
        }
        return ("Scripted reply: \(request.lastUserContent)", Usage.chat)
    }

    /// The scripted model's "understanding": the first-person sentences of each `- …` line.
    static func facts(in statements: String) -> [String] {
        var facts = [String]()
        for line in statements.split(separator: "\n") {
            var text = String(line)
            if text.hasPrefix("- ") { text.removeFirst(2) }
            for piece in text.split(whereSeparator: { ".!?".contains($0) }) {
                var sentence = piece.trimmingCharacters(in: .whitespaces)
                for prefix in ["remember that ", "please note that ", "note that "] where sentence.lowercased().hasPrefix(prefix) {
                    sentence = String(sentence.dropFirst(prefix.count))
                }
                let lower = sentence.lowercased()
                guard lower.hasPrefix("i ") || lower.hasPrefix("i'm ") || lower.hasPrefix("my ") else { continue }
                facts.append(sentence.prefix(1).uppercased() + sentence.dropFirst() + ".")
            }
        }
        return facts
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func completion(_ content: String, usage: (prompt: Int, completion: Int)) -> Data {
        let object: [String: Any] = [
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": servedModel,
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": usage.prompt, "completion_tokens": usage.completion, "total_tokens": usage.prompt + usage.completion],
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }
}

/// Opens once; everything waiting on it then continues.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }
}

private final class ScriptState: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [ScriptedLLM.Request] = []
    private var holds: [(marker: String, gate: Gate)] = []

    var requests: [ScriptedLLM.Request] { lock.withLock { log } }

    func hold(_ marker: String) -> Gate {
        let gate = Gate()
        lock.withLock { holds.append((marker, gate)) }
        return gate
    }

    func openAllHolds() async {
        for hold in lock.withLock({ holds }) { await hold.gate.open() }
    }

    func respond(to request: ScriptedLLM.Request) -> ScriptedLLM.Response {
        let hold = lock.withLock { () -> Gate? in
            log.append(request)
            guard request.isExtraction else { return nil }
            return holds.first { request.firstUserContent.contains($0.marker) }?.gate
        }
        guard request.uri.hasSuffix("/chat/completions") else {
            return .init(status: 404, body: Data(#"{"error":{"message":"not found"}}"#.utf8))
        }
        let (content, usage) = ScriptedLLM.answer(request)
        return .init(status: 200, body: ScriptedLLM.completion(content, usage: usage), hold: hold)
    }
}

private final class ScriptedLLMHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: ScriptState
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(state: ScriptState) {
        self.state = state
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
            let request = ScriptedLLM.Request(uri: head.uri, body: Data(body.readableBytesView))
            let response = state.respond(to: request)
            guard let gate = response.hold else {
                write(response, version: head.version, context: context)
                return
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let version = head.version
            Task {
                await gate.wait()
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(response, version: version, context: context)
                }
            }
        }
    }

    private func write(_ response: ScriptedLLM.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(response.body.count)")])
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
