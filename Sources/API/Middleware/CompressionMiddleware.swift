import CompressNIO
import Hummingbird
import NIOCore
import NIOPosix

/// gzip for responses of 1 KiB or more when the client accepts it (the Context0 spec asks
/// clients to enable compression); smaller answers are not worth the CPU.
struct CompressionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var minimumBytes: Int { 1024 }
    /// Bodies this large are compressed on NIO's thread pool for blocking work: gzip of a
    /// few megabytes takes tens of milliseconds of CPU, which would hold one of Swift's
    /// cooperative threads (as many as cores) from every other request meanwhile.
    static var offloadBytes: Int { 64 * 1024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard Self.acceptsGzip(request), response.headers[.contentEncoding] == nil, response.status != .noContent else {
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        var body = collector.buffer
        guard body.readableBytes >= Self.minimumBytes else {
            response.body = ResponseBody(byteBuffer: body)
            return response
        }
        let compressed = if body.readableBytes >= Self.offloadBytes {
            try await NIOThreadPool.singleton.runIfActive { [body] in
                var body = body
                return try body.compress(with: .gzip())
            }
        } else {
            try body.compress(with: .gzip())
        }
        response.body = ResponseBody(byteBuffer: compressed)
        response.headers[.contentEncoding] = "gzip"
        response.headers[.vary] = "Accept-Encoding"
        return response
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accepted = request.headers[.acceptEncoding] else { return false }
        return accepted.split(separator: ",").contains { coding in
            let parts = coding.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return parts.first == "gzip" && !parts.dropFirst().contains("q=0")
        }
    }
}

/// Gathers a response body's bytes (our bodies are small, complete JSON documents).
final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
