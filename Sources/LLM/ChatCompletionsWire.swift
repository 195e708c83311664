/// The JSON bodies of the OpenAI `/v1/chat/completions` protocol, as far as Context0 uses it.
enum ChatCompletionsWire {
    struct Request: Encodable {
        struct Format: Encodable {
            var type: String
        }

        var model: String
        var messages: [ChatMessage]
        var temperature: Double?
        var maxTokens: Int?
        var responseFormat: Format?

        init(model: String, messages: [ChatMessage], options: ChatOptions) {
            self.model = model
            self.messages = messages
            temperature = options.temperature
            maxTokens = options.maxTokens
            responseFormat = options.responseFormat == .text ? nil : Format(type: options.responseFormat.rawValue)
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, temperature
            case maxTokens = "max_tokens"
            case responseFormat = "response_format"
        }
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var refusal: String?
            }

            var message: Message
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case message
                case finishReason = "finish_reason"
            }
        }

        struct Usage: Decodable {
            var promptTokens: Int?
            var completionTokens: Int?
            var totalTokens: Int?

            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case completionTokens = "completion_tokens"
                case totalTokens = "total_tokens"
            }
        }

        var model: String?
        var choices: [Choice]
        var usage: Usage?
    }

    /// `{"error": {"message": …}}` or `{"error": "…"}`, as servers answer failures.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
        }

        var message: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let detail = try? container.decode(Detail.self, forKey: .error) {
                message = detail.message
            } else {
                message = try? container.decode(String.self, forKey: .error)
            }
        }

        enum CodingKeys: String, CodingKey { case error }
    }
}

extension TokenUsage {
    /// The reported usage; missing counts are zero and a missing total is the sum of the parts.
    init(_ usage: ChatCompletionsWire.Response.Usage?) {
        let prompt = usage?.promptTokens ?? 0
        let completion = usage?.completionTokens ?? 0
        self.init(promptTokens: prompt, completionTokens: completion, totalTokens: usage?.totalTokens ?? prompt + completion)
    }
}
