import Foundation
import TestSupport
import Testing

/// Responses are gzipped for clients that accept it, and only for them.
@Suite struct CompressionTests {
    @Test func largeAnswersAreGzippedWhenTheClientAcceptsIt() async throws {
        try await TestDatabase.with { database, _ in
            let (api, port) = try await ChildProcess.api(environment: [
                "DATABASE_URL": database.url, "JWT_SECRET": "gzip-secret-padded-to-thirty-two-bytes", "LOG_LEVEL": "warning",
            ])
            defer { api.stopNow() }
            let url = "http://127.0.0.1:\(port)/api/v1/openapi.json"

            let gzipped = try await curl(url, acceptGzip: true)
            #expect(gzipped.headers.lowercased().contains("content-encoding: gzip"))
            #expect(Array(gzipped.body.prefix(2)) == [0x1f, 0x8b])
            let plain = try await curl(url, acceptGzip: false)
            #expect(!plain.headers.lowercased().contains("content-encoding"))
            #expect((try JSONSerialization.jsonObject(with: plain.body) as? [String: Any])?["openapi"] as? String == "3.1.0")
            #expect(gzipped.body.count < plain.body.count / 2)
            // Small answers are left alone.
            let ping = try await curl("http://127.0.0.1:\(port)/api/v1/ping", acceptGzip: true)
            #expect(!ping.headers.lowercased().contains("content-encoding"))
        }
    }

    /// curl's headers and body for `url`; curl runs to its end on a thread made for waiting.
    private func curl(_ url: String, acceptGzip: Bool) async throws -> (headers: String, body: Data) {
        try await runBlocking {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("c0-gzip-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "-D", folder.appendingPathComponent("headers").path, "-o", folder.appendingPathComponent("body").path]
                + (acceptGzip ? ["-H", "Accept-Encoding: gzip"] : []) + [url]
            try process.run()
            process.waitUntilExit()
            return (try String(contentsOf: folder.appendingPathComponent("headers"), encoding: .utf8),
                    try Data(contentsOf: folder.appendingPathComponent("body")))
        }
    }
}
