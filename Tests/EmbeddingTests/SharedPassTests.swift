@_spi(Testing) import Embedding
import Testing
import TestSupport

/// A single text's forward pass is split by output features over the model threads that are
/// free (`SharedPass`). That the vector is the same however the work was shared is checked at
/// every kernel level in `KernelPathTests`, which controls the level.
@Suite("Single texts shared across the model threads")
struct SharedPassTests {
    @Test func anIdleSecondThreadTakesPartInAQuery() async throws {
        let embedder = try TestResources.sharedEmbedder()
        try #require(embedder.threadCount == 2)
        let before = embedder.chunksRunByHelpers
        // Whether the helper starts before the leader has taken every chunk depends on the
        // machine's load, so ask until it has taken part once.
        try await eventually("the second model thread runs chunks of a query") {
            _ = try await embedder.embed(["how do i rotate api keys for production"])
            return embedder.chunksRunByHelpers > before
        }
    }
}
