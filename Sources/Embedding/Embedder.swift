/// Turns texts into sentence embeddings.
///
/// Every implementation returns one L2-normalised vector of `dimension` floats per input text,
/// in input order, and is safe to call from many tasks at once.
public protocol Embedder: Sendable {
    /// The model's name, as recorded next to stored vectors (e.g. `all-MiniLM-L6-v2`).
    var modelName: String { get }

    /// The length of every vector this embedder returns.
    var dimension: Int { get }

    /// Embeds a batch of texts; the result has one vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// An embedder whose model runs locally and can show the token ids it feeds to the model.
public protocol TokenizingEmbedder: Embedder {
    /// The token ids the model sees for `text`, including `[CLS]`/`[SEP]`, after truncation.
    func tokenIDs(for text: String) -> [Int]
}

extension Embedder {
    /// Embeds a single text.
    public func embed(_ text: String) async throws -> [Float] {
        let vectors = try await embed([text])
        guard let vector = vectors.first else {
            throw EmbeddingError.invalidResponse("the embedder returned no vector")
        }
        return vector
    }
}
