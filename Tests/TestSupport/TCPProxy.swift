import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a loopback port in front of another address, whose failure can be chosen:
/// for tests of what the API does when its database goes away. Its sockets block, each on a
/// thread of its own, never on Swift's cooperative pool.
///
/// - `forwarding`: bytes go both ways, as if there were no proxy;
/// - `refusing`: every connection is closed at once, open ones too (a server that is down);
/// - `blackHoling`: open connections are cut (a failover), new ones are accepted and never
///   answered (a host that stopped answering, whose port still takes the handshake).
public final class TCPProxy: Sendable {
    public enum Mode: Sendable {
        case forwarding, refusing, blackHoling
    }

    public let port: Int
    private let target: sockaddr_in
    private let listener: Int32
    private struct State {
        var mode = Mode.forwarding
        /// Sockets of forwarded connections: their pumps close them.
        var sockets: Set<Int32> = []
        /// Connections held unanswered: closed here.
        var held: Set<Int32> = []
        var accepted = 0
        var stopped = false
    }
    private let state = Mutex(State())

    /// A proxy to `host:port` (an IPv4 address such as 127.0.0.1).
    public init(to host: String, port targetPort: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(targetPort).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw HarnessFailure("TCPProxy: \(host) is no IPv4 address") }
        target = address

        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 64) == 0 else {
            close(listener)
            throw HarnessFailure("TCPProxy: cannot listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: local.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// A proxy in front of the server a `postgresql://` URL names.
    public convenience init(inFrontOf url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host else { throw HarnessFailure("TCPProxy: cannot read \(url)") }
        try self.init(to: host == "localhost" ? "127.0.0.1" : host, port: components.port ?? 5432)
    }

    deinit { stop() }

    /// `postgresql://…@host:port/…` with this proxy's host and port instead.
    public func url(replacing url: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw HarnessFailure("TCPProxy: cannot read \(url)") }
        components.host = "127.0.0.1"
        components.port = port
        guard let proxied = components.string else { throw HarnessFailure("TCPProxy: cannot write \(url)") }
        return proxied
    }

    /// Connections accepted so far (in any mode).
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    public func set(_ mode: Mode) {
        state.withLock { state in
            state.mode = mode
            // Under the lock: a pump closes its sockets only after taking them out of the set,
            // so no number here can belong to another socket by now.
            if mode != .forwarding { Self.cut(&state) }
            if mode == .forwarding { Self.closeHeld(&state) }
        }
    }

    /// Stops accepting and cuts every connection; the accept loop closes the listener.
    public func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            Self.cut(&state)
            Self.closeHeld(&state)
            _ = shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private static func cut(_ state: inout State) {
        state.sockets.forEach { _ = shutdown($0, Int32(SHUT_RDWR)) }
        state.sockets = []
    }

    private static func closeHeld(_ state: inout State) {
        state.held.forEach { close($0) }
        state.held = []
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            let mode: Mode? = state.withLock { state in
                guard !state.stopped else { return nil }
                state.accepted += 1
                return state.mode
            }
            switch mode {
            case nil, .refusing:
                close(client)
                if mode == nil {
                    close(listener)
                    return
                }
            case .blackHoling:
                // Held open and never read: the client waits for an answer that never comes.
                state.withLock { _ = $0.held.insert(client) }
            case .forwarding:
                forward(client)
            }
        }
    }

    private func forward(_ client: Int32) {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = target
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(server)
            close(client)
            return
        }
        // The mode may have changed while connecting: then this connection is cut at once.
        let forwarding = state.withLock { state in
            guard state.mode == .forwarding, !state.stopped else { return false }
            state.sockets.insert(client)
            state.sockets.insert(server)
            return true
        }
        guard forwarding else {
            close(server)
            close(client)
            return
        }
        let pumps = PumpCount()
        for (from, to) in [(client, server), (server, client)] {
            Thread { [self] in
                pump(from: from, to: to)
                // The second pump to end closes both sockets: neither is used any more.
                if pumps.oneEnded() {
                    state.withLock {
                        $0.sockets.remove(client)
                        $0.sockets.remove(server)
                        close(client)
                        close(server)
                    }
                }
            }.start()
        }
    }

    private func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { break }
                sent += written
            }
            guard sent == count else { break }
        }
        _ = shutdown(to, Int32(SHUT_RDWR))
        _ = shutdown(from, Int32(SHUT_RDWR))
    }
}

/// How many of a connection's two pumps have ended.
private final class PumpCount: Sendable {
    private let ended = Mutex(0)

    /// Counts one more; true for the second.
    func oneEnded() -> Bool {
        ended.withLock { count in
            count += 1
            return count == 2
        }
    }
}
