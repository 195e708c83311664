import Embedding
import Foundation
import Testing

@Suite("Loading the model")
struct ModelLoadingTests {
    @Test func missingModelFolderIsATypedErrorNamingIt() {
        let path = "/nonexistent/context0-test/minilm"
        #expect(throws: EmbeddingError.modelFileMissing(path: path)) {
            try MiniLMEmbedder(modelDirectory: path)
        }
    }

    @Test func factoryReportsAMissingModelFolderFromTheEnvironment() throws {
        let configuration = try EmbeddingConfiguration(environment: ["MINILM_MODEL_DIR": "/nonexistent/m"], projectRoot: "/tmp")
        #expect(throws: EmbeddingError.modelFileMissing(path: "/nonexistent/m")) {
            try EmbedderFactory.makeEmbedder(configuration)
        }
    }

    @Test func missingWeightsFileIsNamed() throws {
        let folder = try ModelFolder(weights: nil)
        defer { folder.remove() }
        #expect(throws: EmbeddingError.modelFileMissing(path: folder.path + "/model.safetensors")) {
            try MiniLMEmbedder(modelDirectory: folder.path)
        }
    }

    @Test(arguments: [Data("not a safetensors file".utf8), Data(repeating: 0xFF, count: 64)])
    func garbageWeightsAreCorrupt(_ weights: Data) throws {
        let folder = try ModelFolder(weights: weights)
        defer { folder.remove() }
        #expect(throws: EmbeddingError.self) { try MiniLMEmbedder(modelDirectory: folder.path) }
        do {
            _ = try MiniLMEmbedder(modelDirectory: folder.path)
        } catch let EmbeddingError.modelFileCorrupt(path, _) {
            #expect(path == folder.path + "/model.safetensors")
        }
    }

    @Test func truncatedWeightsAreCorrupt() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: TestResources.modelDirectory + "/model.safetensors"))
        let folder = try ModelFolder(weights: original.prefix(1 << 20))
        defer { folder.remove() }
        do {
            _ = try MiniLMEmbedder(modelDirectory: folder.path)
            Issue.record("a truncated model loaded")
        } catch let EmbeddingError.modelFileCorrupt(path, reason) {
            #expect(path == folder.path + "/model.safetensors")
            #expect(reason.contains("byte range"))
        }
    }

    @Test func errorsDescribeThePath() {
        let error = EmbeddingError.modelFileMissing(path: "/x/model.safetensors")
        #expect(String(describing: error).contains("/x/model.safetensors"))
    }
}

/// A temporary model folder with the real configuration and vocabulary and chosen weights.
private struct ModelFolder {
    let path: String

    init(weights: Data?) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-test-\(UUID().uuidString)").path
        let manager = FileManager.default
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        for file in ["config.json", "vocab.txt", "sentence_bert_config.json"] {
            try manager.copyItem(atPath: TestResources.modelDirectory + "/" + file, toPath: path + "/" + file)
        }
        if let weights {
            try weights.write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
