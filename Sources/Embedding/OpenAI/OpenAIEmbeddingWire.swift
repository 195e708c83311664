/// The JSON bodies of the OpenAI `/v1/embeddings` protocol.
enum OpenAIEmbeddingWire {
    struct Request: Encodable {
        var model: String
        var input: [String]
        var encodingFormat = "float"
        var dimensions: Int?

        enum CodingKeys: String, CodingKey {
            case model, input, dimensions
            case encodingFormat = "encoding_format"
        }
    }

    struct Response: Decodable {
        struct Item: Decodable {
            var embedding: [Float]
            var index: Int?
        }

        var data: [Item]
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
