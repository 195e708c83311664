import Foundation
import TestSupport

/// OpenAI's `/v1/chat/completions` on a `LocalHTTPServer`, with scripted answers: the
/// worker's fact extraction, the API's chat replies and Q&A answers all reach it when
/// `LLM_BASE_URL` points here.
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
/// Every answer carries the token usage of `Usage`. Extraction requests can be made to fail
/// by a marker in their statements (`refuseExtractions`, `failExtractions`).
final class ScriptedLLM: Sendable {
    enum Usage {
        static let extraction = (prompt: 101, completion: 11)
        static let qa = (prompt: 202, completion: 22)
        static let chat = (prompt: 303, completion: 33)
    }

    static let servedModel = "scripted-served-model"

    typealias Request = LocalHTTPServer.Request

    private let server: LocalHTTPServer
    private let holds: Holds
    private let failures: Failures

    var baseURL: String { server.baseURL }
    var requests: [Request] { server.requests }

    private init(server: LocalHTTPServer, holds: Holds, failures: Failures) {
        self.server = server
        self.holds = holds
        self.failures = failures
    }

    static func start() async throws -> ScriptedLLM {
        let holds = Holds()
        let failures = Failures()
        let server = try await LocalHTTPServer.start(basePath: "/v1", waiting: { _, request in
            guard request.uri.hasSuffix("/chat/completions") else {
                return .init(status: 404, body: Data(#"{"error":{"message":"not found"}}"#.utf8))
            }
            if request.isExtraction, let status = failures.next(for: request.firstUserContent) {
                return .init(status: status, body: Data(#"{"error":{"message":"scripted failure \#(status)"}}"#.utf8))
            }
            if request.isExtraction, let gate = holds.gate(for: request.firstUserContent) { await gate.wait() }
            let (content, usage) = answer(request)
            return .init(status: 200, body: completion(content, usage: usage))
        })
        return ScriptedLLM(server: server, holds: holds, failures: failures)
    }

    func stop() async {
        await holds.openAll()
        await server.stop()
    }

    /// Extraction requests whose statements contain `marker` are answered only once the
    /// returned gate opens.
    func holdExtractions(containing marker: String) -> Gate {
        holds.add(marker)
    }

    /// Extraction requests whose statements contain `marker` are answered with `status`
    /// (an error), every time.
    func refuseExtractions(containing marker: String, status: Int) {
        failures.add(marker, statuses: [status], forever: true)
    }

    /// Extraction requests whose statements contain `marker` are answered with `statuses`
    /// (errors), one each in order, and as usual from then on.
    func failExtractions(containing marker: String, with statuses: [Int]) {
        failures.add(marker, statuses: statuses, forever: false)
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

/// The gates extraction requests wait at, by a marker in their statements.
private final class Holds: @unchecked Sendable {
    private let lock = NSLock()
    private var holds: [(marker: String, gate: Gate)] = []

    func add(_ marker: String) -> Gate {
        let gate = Gate()
        lock.withLock { holds.append((marker, gate)) }
        return gate
    }

    func gate(for statements: String) -> Gate? {
        lock.withLock { holds.first { statements.contains($0.marker) }?.gate }
    }

    func openAll() async {
        for hold in lock.withLock({ holds }) { await hold.gate.open() }
    }
}

/// The scripted error answers of extraction requests, by a marker in their statements.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var scripts: [(marker: String, statuses: [Int], forever: Bool)] = []

    func add(_ marker: String, statuses: [Int], forever: Bool) {
        lock.withLock { scripts.append((marker, statuses, forever)) }
    }

    /// The status to answer a request about `statements` with; nil to answer as usual.
    func next(for statements: String) -> Int? {
        lock.withLock {
            guard let index = scripts.firstIndex(where: { statements.contains($0.marker) && !$0.statuses.isEmpty }) else { return nil }
            if scripts[index].forever { return scripts[index].statuses[0] }
            return scripts[index].statuses.removeFirst()
        }
    }
}

/// What the script reads from a chat-completions request.
extension LocalHTTPServer.Request {
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
