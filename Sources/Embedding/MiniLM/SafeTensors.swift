import Foundation

/// A `.safetensors` file, mapped rather than read: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw data.
struct SafeTensors: @unchecked Sendable {
    struct TensorInfo: Decodable {
        var dtype: String?
        var shape: [Int]?
        var dataOffsets: [Int]?

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    let file: MappedFile
    private let tensors: [String: TensorInfo]
    private let dataStart: Int

    var path: String { file.path }

    init(path: String) throws {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw Self.corrupt(path, "shorter than its header") }
        let declaredLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declaredLength > 1, declaredLength <= UInt64(bytes.count - 8) else {
            throw Self.corrupt(path, "header length \(declaredLength) does not fit in the file")
        }
        let headerLength = Int(declaredLength)
        let header = Data(bytes[8..<(8 + headerLength)])
        do {
            tensors = try JSONDecoder().decode([String: TensorInfo].self, from: header)
        } catch {
            throw Self.corrupt(path, "header is not valid JSON")
        }
        self.file = file
        self.dataStart = 8 + headerLength
    }

    /// A float32 tensor of exactly `shape`, pointing into the mapping.
    func floats(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let info = tensors[name] else { throw Self.corrupt(path, "tensor \(name) is missing") }
        guard info.dtype == "F32" else {
            throw Self.corrupt(path, "tensor \(name) has dtype \(info.dtype ?? "?"), expected F32")
        }
        guard info.shape == shape else {
            throw Self.corrupt(path, "tensor \(name) has shape \(info.shape ?? []), expected \(shape)")
        }
        guard let offsets = info.dataOffsets, offsets.count == 2, offsets[0] >= 0,
              offsets[1] - offsets[0] == shape.reduce(1, *) * MemoryLayout<Float>.size,
              dataStart + offsets[1] <= file.bytes.count
        else {
            throw Self.corrupt(path, "tensor \(name) has byte range outside the file or of the wrong size")
        }
        let start = dataStart + offsets[0]
        guard start % MemoryLayout<Float>.alignment == 0 else {
            throw Self.corrupt(path, "tensor \(name) is not 4-byte aligned")
        }
        return (file.bytes.baseAddress! + start).bindMemory(to: Float.self, capacity: shape.reduce(1, *))
    }

    private static func corrupt(_ path: String, _ reason: String) -> EmbeddingError {
        .modelFileCorrupt(path: path, reason: reason)
    }
}
