import CEmbeddingKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A linear layer's weight matrix, `[outFeatures, inFeatures]` row-major as PyTorch stores it:
/// the mapped original and, for `MatrixProducts.packed`, the copy `c0_pack_weight` made at load.
struct LinearWeight {
    let original: UnsafePointer<Float>
    let packed: UnsafePointer<Float>?
    let inFeatures: Int
    let outFeatures: Int
}

/// Pointers into the mapped `model.safetensors` for every tensor the forward pass uses, and
/// for `MatrixProducts.packed` the linear layers' weights packed once at load into memory
/// shared by every thread and workspace. The pooler is not used.
struct BertWeights: @unchecked Sendable {
    struct Layer {
        var query, key, value, attentionOutput: LinearWeight
        var queryBias, keyBias, valueBias, attentionOutputBias: UnsafePointer<Float>
        var attentionNormWeight, attentionNormBias: UnsafePointer<Float>
        var intermediate, output: LinearWeight
        var intermediateBias, outputBias: UnsafePointer<Float>
        var outputNormWeight, outputNormBias: UnsafePointer<Float>
    }

    /// Keeps the mapping alive as long as the pointers are used.
    let storage: SafeTensors
    /// The packed matrices (nil for `MatrixProducts.blas`).
    let packedStorage: PackedWeightStorage?
    let matrixProducts: MatrixProducts
    let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormWeight, embeddingNormBias: UnsafePointer<Float>
    let layers: [Layer]

    init(file: SafeTensors, configuration c: BertConfiguration, matrixProducts: MatrixProducts = .automatic) throws {
        let h = c.hiddenSize
        storage = file
        self.matrixProducts = matrixProducts
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [c.vocabularySize, h])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [c.maxPositions, h])
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, h])
        embeddingNormWeight = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        let packer: PackedWeightStorage.Packer?
        if matrixProducts == .packed {
            let perLayer = 4 * PackedWeightStorage.byteCount(in: h, out: h)
                + PackedWeightStorage.byteCount(in: h, out: c.intermediateSize)
                + PackedWeightStorage.byteCount(in: c.intermediateSize, out: h)
            let storage = PackedWeightStorage(byteCount: perLayer * c.layerCount)
            packedStorage = storage
            packer = PackedWeightStorage.Packer(storage: storage, file: file.file)
        } else {
            packedStorage = nil
            packer = nil
        }
        layers = try (0..<c.layerCount).map { try Self.layer($0, file: file, configuration: c, packer: packer) }
    }

    private static func layer(
        _ index: Int, file: SafeTensors, configuration c: BertConfiguration, packer: PackedWeightStorage.Packer?
    ) throws -> Layer {
        let h = c.hiddenSize, i = c.intermediateSize
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            try file.floats("encoder.layer.\(index).\(name)", shape: shape)
        }
        func matrix(_ name: String, in inFeatures: Int, out outFeatures: Int) throws -> LinearWeight {
            let original = try tensor(name, [outFeatures, inFeatures])
            return LinearWeight(
                original: original, packed: packer?.pack(original, in: inFeatures, out: outFeatures),
                inFeatures: inFeatures, outFeatures: outFeatures
            )
        }
        return Layer(
            query: try matrix("attention.self.query.weight", in: h, out: h),
            key: try matrix("attention.self.key.weight", in: h, out: h),
            value: try matrix("attention.self.value.weight", in: h, out: h),
            attentionOutput: try matrix("attention.output.dense.weight", in: h, out: h),
            queryBias: try tensor("attention.self.query.bias", [h]),
            keyBias: try tensor("attention.self.key.bias", [h]),
            valueBias: try tensor("attention.self.value.bias", [h]),
            attentionOutputBias: try tensor("attention.output.dense.bias", [h]),
            attentionNormWeight: try tensor("attention.output.LayerNorm.weight", [h]),
            attentionNormBias: try tensor("attention.output.LayerNorm.bias", [h]),
            intermediate: try matrix("intermediate.dense.weight", in: h, out: i),
            output: try matrix("output.dense.weight", in: i, out: h),
            intermediateBias: try tensor("intermediate.dense.bias", [i]),
            outputBias: try tensor("output.dense.bias", [h]),
            outputNormWeight: try tensor("output.LayerNorm.weight", [h]),
            outputNormBias: try tensor("output.LayerNorm.bias", [h])
        )
    }
}

/// One allocation holding every packed weight matrix of the model (~42 MB for MiniLM-L6),
/// written once at load and read-only afterwards. Large storage is 2 MiB aligned and, on Linux,
/// asks for transparent huge pages (`MADV_HUGEPAGE`): a query streams all of it once per call,
/// and with 4 KiB pages the TLB misses cost several percent of that.
final class PackedWeightStorage: @unchecked Sendable {
    /// Every matrix starts on a 64-byte line.
    static let alignment = 64
    static let hugePageSize = 2 << 20

    let base: UnsafeMutableRawPointer
    let byteCount: Int
    /// The whole mapping when the storage was mapped (for huge pages), else nil.
    private let mapping: (address: UnsafeMutableRawPointer, length: Int)?

    /// Bytes one matrix takes, rounded up to the alignment.
    static func byteCount(in inFeatures: Int, out outFeatures: Int) -> Int {
        let bytes = c0_packed_weight_size(inFeatures, outFeatures)
        return (bytes + alignment - 1) / alignment * alignment
    }

    init(byteCount: Int) {
        self.byteCount = byteCount
        #if os(Linux)
        if byteCount >= Self.hugePageSize {
            let huge = Self.hugePageSize
            let length = (byteCount + huge - 1) / huge * huge + huge
            if let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
               address != MAP_FAILED {
                let aligned = (Int(bitPattern: address) + huge - 1) / huge * huge
                base = UnsafeMutableRawPointer(bitPattern: aligned)!
                _ = madvise(base, (byteCount + huge - 1) / huge * huge, MADV_HUGEPAGE)
                mapping = (address, length)
                return
            }
        }
        #endif
        base = .allocate(byteCount: max(byteCount, Self.alignment), alignment: Self.alignment)
        mapping = nil
    }

    deinit {
        if let mapping {
            munmap(mapping.address, mapping.length)
        } else {
            base.deallocate()
        }
    }

    /// Fills the storage one matrix after another.
    final class Packer {
        let storage: PackedWeightStorage
        let file: MappedFile
        private var offset = 0

        init(storage: PackedWeightStorage, file: MappedFile) {
            self.storage = storage
            self.file = file
        }

        /// Packs `weight` into the next free space and returns it. The original's pages are then
        /// dropped from the process's resident memory (`MappedFile.release`): the packed copy
        /// replaces them, and the mapping brings them back from the file if ever read again.
        func pack(_ weight: UnsafePointer<Float>, in inFeatures: Int, out outFeatures: Int) -> UnsafePointer<Float> {
            let size = PackedWeightStorage.byteCount(in: inFeatures, out: outFeatures)
            precondition(offset + size <= storage.byteCount, "packed weights exceed their storage")
            let packed = (storage.base + offset).bindMemory(to: Float.self, capacity: size / MemoryLayout<Float>.size)
            offset += size
            c0_pack_weight(weight, inFeatures, outFeatures, packed)
            file.release(UnsafeRawPointer(weight), byteCount: inFeatures * outFeatures * MemoryLayout<Float>.size)
            return UnsafePointer(packed)
        }
    }
}
