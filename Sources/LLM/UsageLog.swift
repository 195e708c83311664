import Synchronization

/// One chat completion request that was answered, and what it cost.
public struct MeteredCall: Sendable, Equatable {
    /// The configured model name (`LanguageModel.modelName`), as `llm_calls` records it.
    public var model: String
    public var usage: TokenUsage
    /// True when the service reported no usage and `usage` is `TokenUsage.estimated`.
    public var estimated: Bool

    public init(model: String, usage: TokenUsage, estimated: Bool) {
        self.model = model
        self.usage = usage
        self.estimated = estimated
    }
}

/// The answered requests of one piece of work, collected as each returns, so whoever applies
/// the work's result can meter them with it, and whoever sees it fail can still meter what
/// was spent.
public final class UsageLog: Sendable {
    private let entries = Mutex<[MeteredCall]>([])

    public init() {}

    public func record(_ call: MeteredCall) {
        entries.withLock { $0.append(call) }
    }

    /// Every call recorded so far, in order.
    public var calls: [MeteredCall] {
        entries.withLock { $0 }
    }
}

/// A `LanguageModel` that records every answered request in a `UsageLog`: each corrective
/// retry of `completeJSON` too, and a first reply whose structured output is then rejected.
/// A service that reports no usage gets an estimate, so no answered request is free.
/// Requests that fail (an HTTP error, a time-out) record nothing: no usage is known for them.
public struct UsageRecordingModel: LanguageModel {
    public let model: any LanguageModel
    public let log: UsageLog

    public init(_ model: any LanguageModel, log: UsageLog) {
        self.model = model
        self.log = log
    }

    public var modelName: String { model.modelName }
    public var maxPromptCharacters: Int { model.maxPromptCharacters }

    public func complete(_ messages: [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        var completion = try await model.complete(messages, options: options)
        let reported = completion.usage.totalTokens > 0
        if !reported {
            completion.usage = TokenUsage.estimated(prompt: messages, reply: completion.content)
        }
        log.record(MeteredCall(model: model.modelName, usage: completion.usage, estimated: !reported))
        return completion
    }
}

extension TokenUsage {
    /// About 4 bytes of UTF-8 a token (as the chunker assumes without a tokenizer), rounded
    /// up, at least 1 per message: what a call cost when the service does not say.
    public static func estimated(prompt: [ChatMessage], reply: String) -> TokenUsage {
        let promptTokens = prompt.reduce(0) { $0 + max(1, ($1.content.utf8.count + 3) / 4) }
        let completionTokens = max(1, (reply.utf8.count + 3) / 4)
        return TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens, totalTokens: promptTokens + completionTokens)
    }
}
