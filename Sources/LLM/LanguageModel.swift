/// A chat model Context0's features talk to: memory extraction, chat replies and answers.
///
/// `ChatCompletionsClient` is the production implementation; tests may drive it against a
/// scripted local server, or implement this protocol directly. Structured output
/// (`completeJSON`) has a default implementation over `complete`, so every implementation
/// extracts, decodes, validates and corrects replies the same way.
public protocol LanguageModel: Sendable {
    /// The configured model name, for records of which model produced what.
    var modelName: String { get }

    /// The most characters (all messages' text together) a prompt built from user content
    /// should have; callers split longer input over several requests. Defaults to
    /// `LLMConfiguration.defaultMaxPromptCharacters`.
    var maxPromptCharacters: Int { get }

    /// Sends `messages` and returns the model's reply with the tokens it cost.
    /// - Throws: `LLMError`.
    func complete(_ messages: [ChatMessage], options: ChatOptions) async throws -> ChatCompletion

    /// Asks for a JSON object (`response_format: json_object`), decodes it into `T` and runs
    /// `validate` on it. A reply that fails either step gets one corrective retry that shows the
    /// model its reply and the problem.
    /// - Throws: `LLMError.invalidStructuredOutput` when the corrected reply fails too; any
    ///   other `LLMError` from the requests themselves.
    func completeJSON<T: Decodable>(
        _ messages: [ChatMessage], as type: T.Type, options: ChatOptions, validate: (T) throws -> Void
    ) async throws -> StructuredCompletion<T>
}

extension LanguageModel {
    public var maxPromptCharacters: Int { LLMConfiguration.defaultMaxPromptCharacters }

    /// `complete(_:options:)` with the server's default sampling and free-text replies.
    public func complete(_ messages: [ChatMessage]) async throws -> ChatCompletion {
        try await complete(messages, options: ChatOptions())
    }

    /// `completeJSON(_:as:options:validate:)` with the server's default sampling.
    public func completeJSON<T: Decodable>(
        _ messages: [ChatMessage], as type: T.Type, validate: (T) throws -> Void = { _ in }
    ) async throws -> StructuredCompletion<T> {
        try await completeJSON(messages, as: type, options: ChatOptions(), validate: validate)
    }

    /// `completeJSON(_:as:options:validate:)` with no validation beyond decoding.
    public func completeJSON<T: Decodable>(
        _ messages: [ChatMessage], as type: T.Type, options: ChatOptions
    ) async throws -> StructuredCompletion<T> {
        try await completeJSON(messages, as: type, options: options, validate: { _ in })
    }

    /// The default structured-output loop: at most two requests, the second carrying the
    /// first reply and a correction.
    public func completeJSON<T: Decodable>(
        _ messages: [ChatMessage], as type: T.Type, options: ChatOptions, validate: (T) throws -> Void
    ) async throws -> StructuredCompletion<T> {
        var options = options
        options.responseFormat = .jsonObject
        var conversation = StructuredOutput.mentioningJSON(messages)
        var usage = TokenUsage.zero
        var problem = ""
        for attempt in 1...StructuredOutput.maxAttempts {
            let completion = try await complete(conversation, options: options)
            usage = usage + completion.usage
            do {
                let value = try StructuredOutput.decode(T.self, from: completion.content, validate: validate)
                return StructuredCompletion(value: value, usage: usage, model: completion.model, attempts: attempt)
            } catch let error as StructuredOutput.Problem {
                problem = error.description
                conversation += [.assistant(completion.content), .user(StructuredOutput.correction(for: problem))]
            }
        }
        throw LLMError.invalidStructuredOutput("\(problem) (after \(StructuredOutput.maxAttempts) attempts)")
    }
}
