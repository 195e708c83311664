/// Where and how `OpenAIEmbedder` calls an OpenAI-compatible `/v1/embeddings` endpoint.
public struct OpenAIEmbeddingConfiguration: Sendable, Equatable {
    /// The URL requests are posted to, e.g. `https://api.openai.com/v1/embeddings`.
    public var endpoint: String
    /// Sent as `Authorization: Bearer …` when set. Never logged or printed.
    public var apiKey: String?
    /// The `model` field of every request.
    public var model: String
    /// The length every returned vector must have (default 384, the store's vector size).
    public var dimension: Int
    /// Whether requests carry `"dimensions": dimension` (for models that can shorten their
    /// vectors, such as `text-embedding-3-*`); off unless `EMBEDDINGS_DIMENSIONS` is set.
    public var sendsDimensions: Bool
    /// At most this many texts per request (default 64); larger calls are split.
    public var batchSize = 64
    /// Time allowed for one request, from connecting to the end of the response (default 30 s).
    public var timeout: Duration = .seconds(30)
    /// Requests per batch, first try included, before giving up on 429, 5xx or transport
    /// errors (default 4).
    public var maxAttempts = 4
    /// The delay before the first retry (default 0.5 s); it doubles with each retry, with
    /// jitter, up to `maxBackoff` (default 10 s). A `Retry-After` header lengthens it, up to
    /// `maxBackoff`.
    public var initialBackoff: Duration = .milliseconds(500)
    public var maxBackoff: Duration = .seconds(10)

    /// - Parameter baseURL: the API's base URL as OpenAI clients take it (`https://host/v1`);
    ///   see `endpoint(forBaseURL:)`.
    public init(baseURL: String, apiKey: String?, model: String, dimension: Int = 384, sendsDimensions: Bool = false) {
        self.endpoint = Self.endpoint(forBaseURL: baseURL)
        self.apiKey = apiKey
        self.model = model
        self.dimension = dimension
        self.sendsDimensions = sendsDimensions
    }

    /// The embeddings URL for a base URL: kept as is when it already ends in `/embeddings`,
    /// `/v1/embeddings` appended when it has no path (`http://host:8080`), otherwise
    /// `/embeddings` appended (`https://api.openai.com/v1` → `…/v1/embeddings`).
    public static func endpoint(forBaseURL baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/embeddings") { return base }
        let afterScheme = base.range(of: "://").map { base[$0.upperBound...] } ?? base[...]
        return afterScheme.contains("/") ? base + "/embeddings" : base + "/v1/embeddings"
    }
}

extension OpenAIEmbeddingConfiguration: CustomStringConvertible {
    /// A description safe to log: the API key is never included.
    public var description: String {
        "OpenAIEmbeddingConfiguration(endpoint: \(endpoint), model: \(model), dimension: \(dimension), "
            + "apiKey: \(apiKey == nil ? "none" : "set"))"
    }
}
