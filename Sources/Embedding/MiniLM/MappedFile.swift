#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file; the pages are shared with the page cache and
/// loaded on first touch, so several processes using the same model share its weights.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw EmbeddingError.modelFileMissing(path: path)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "the file is empty")
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              address != MAP_FAILED
        else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "cannot be mapped into memory")
        }
        self.path = path
        self.bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Drops the whole pages inside `byteCount` bytes at `start` (within the mapping) from the
    /// process's resident memory (`MADV_DONTNEED`): for data copied elsewhere. The mapping is
    /// private and never written, so the pages still read the file's contents if touched again.
    func release(_ start: UnsafeRawPointer, byteCount: Int) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let base = bytes.baseAddress, pageSize > 0, start >= base, start + byteCount <= base + bytes.count else { return }
        let first = (Int(bitPattern: start) + pageSize - 1) / pageSize * pageSize
        let end = (Int(bitPattern: start) + byteCount) / pageSize * pageSize
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, end - first, MADV_DONTNEED)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
