import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A TCP port nobody listens on right now (the kernel picks it).
public func freePort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
            bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
        }
    }
    guard bound else { throw TimedOut(description: "cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A GET over loopback: status and body, or nil if nothing answered.
public func httpGet(_ url: String) async -> (status: Int, body: Data)? {
    guard let url = URL(string: url) else { return nil }
    var request = URLRequest(url: url)
    request.timeoutInterval = 5
    // Not kept alive: a pooled connection would count against a server's connection cap.
    request.setValue("close", forHTTPHeaderField: "Connection")
    guard let (data, response) = try? await URLSession.shared.data(for: request),
          let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, data)
}
