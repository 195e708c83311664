import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Clients that open connections and never finish their requests cannot hold them: the API
/// closes a connection whose request stalls (`HTTP_IDLE_TIMEOUT`) or trickles in for longer
/// than `HTTP_READ_TIMEOUT`, and holds at most `HTTP_MAX_CONNECTIONS` at once.
@Suite struct SlowClientTests {
    static let environment = ["JWT_SECRET": String(repeating: "k", count: 32), "LOG_LEVEL": "warning"]

    @Test func aConnectionThatStopsHalfwayThroughItsHeaderIsClosed() async throws {
        try await TestDatabase.with { database, _ in
            let api = try await ChildProcess.api(environment: Self.environment.merging([
                "DATABASE_URL": database.url, "HTTP_IDLE_TIMEOUT": "2", "HTTP_READ_TIMEOUT": "600",
            ]) { $1 })
            defer { api.process.stopNow() }
            let socket = try await RawConnection.open(port: api.port)
            defer { socket.close() }
            try socket.send("GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            // The server closes it: a read returns end-of-file (the wait is bounded far above 2 s).
            #expect(try await socket.readUntilClosed(timeoutSeconds: 120) == "")
        }
    }

    @Test func aRequestThatTricklesInPastTheReadTimeoutIsClosed() async throws {
        try await TestDatabase.with { database, _ in
            let api = try await ChildProcess.api(environment: Self.environment.merging([
                "DATABASE_URL": database.url, "HTTP_IDLE_TIMEOUT": "600", "HTTP_READ_TIMEOUT": "2",
            ]) { $1 })
            defer { api.process.stopNow() }
            let socket = try await RawConnection.open(port: api.port)
            defer { socket.close() }
            try socket.send("GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // One header byte every 200 ms, never idle long: only the read deadline can end it.
            var closed = false
            for _ in 0..<3000 where !closed {
                closed = (try? socket.send("x")) == nil || socket.peerClosed()
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(closed, "the trickling request was still open after 10 minutes")
        }
    }

    @Test func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        try await TestDatabase.with { database, _ in
            let api = try await ChildProcess.api(environment: Self.environment.merging([
                "DATABASE_URL": database.url, "HTTP_MAX_CONNECTIONS": "2", "HTTP_IDLE_TIMEOUT": "600", "HTTP_READ_TIMEOUT": "600",
            ]) { $1 })
            defer { api.process.stopNow() }
            // Each held connection is seen served before the next opens: the server accepts in
            // batches, so connections arriving together could all be accepted past the cap.
            var held = [RawConnection]()
            for _ in 0..<2 {
                let connection = try await RawConnection.open(port: api.port)
                held.append(connection)
                try connection.send("GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let answer = try await connection.firstAnswer()
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            }
            // Both stay open (keep-alive): a third connection waits in the backlog.
            let third = try await RawConnection.open(port: api.port)
            defer { third.close() }
            try third.send("GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(try await third.read(timeoutSeconds: 3) == nil, "a third connection was served past the cap of two")
            held[0].close()
            let answer = try #require(try await third.read(timeoutSeconds: 120), "the third connection was never served")
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            held[1].close()
        }
    }
}

/// A TCP connection driven byte by byte, with blocking calls on the tests' blocking threads.
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func open(port: Int) async throws -> RawConnection {
        try await runBlocking {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw HarnessFailure("socket() failed: \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                Glibc.close(descriptor)
                throw HarnessFailure("connect() failed: \(errno)")
            }
            return RawConnection(descriptor: descriptor)
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HarnessFailure("send() failed: \(errno)") }
    }

    /// True when the server has closed its end (a non-blocking peek sees end-of-file).
    func peerClosed() -> Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// What arrives within `timeoutSeconds` of silence, until the server closes; nil when
    /// nothing arrived and the connection is still open.
    func read(timeoutSeconds: Int) async throws -> String? {
        try await runBlocking { [descriptor] in
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 {
                    received += buffer[0..<count]
                    continue
                }
                if count == 0 { return String(decoding: received, as: UTF8.self) }
                return received.isEmpty ? nil : String(decoding: received, as: UTF8.self)
            }
        }
    }

    /// The first bytes the server sends on a connection it keeps open, waited for in steps
    /// of a second (at most two minutes).
    func firstAnswer() async throws -> String {
        for _ in 0..<120 {
            if let text = try await read(timeoutSeconds: 1) { return text }
        }
        throw HarnessFailure("no answer within two minutes")
    }

    /// Reads until the server closes the connection; what it sent before closing.
    func readUntilClosed(timeoutSeconds: Int) async throws -> String {
        guard let text = try await read(timeoutSeconds: timeoutSeconds) else {
            throw HarnessFailure("the connection was still open after \(timeoutSeconds) s of silence")
        }
        return text
    }

    func close() {
        Glibc.close(descriptor)
    }
}
