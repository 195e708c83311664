import Foundation
import NIOPosix

/// Resolves a webhook target's host name, once per delivery hop: the delivery connects to an
/// address from exactly this answer and never resolves the name again, so a name cannot answer
/// a public address to the check and an internal one to the connection (DNS rebinding).
public protocol WebhookResolver: Sendable {
    /// Every address of `host` (a name as `URL.host` gives it, not an IP literal), in the order
    /// to try them. Throws `WebhookResolutionError` when it has none.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// A name that did not resolve; the reason is for the server log only.
public struct WebhookResolutionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The system's resolver (`getaddrinfo`, in its RFC 6724 order), on NIO's thread pool.
public struct SystemWebhookResolver: WebhookResolver {
    public init() {}

    /// Returns as soon as the calling task is cancelled (a delivery's deadline passed), leaving
    /// the blocking lookup to end on its thread: a name whose server answers slowly cannot
    /// stretch a delivery past its deadline.
    public func addresses(of host: String) async throws -> [IPAddress] {
        let answer = AnswerOnce<[IPAddress]>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.install(continuation)
                NIOThreadPool.singleton.submit { state in
                    guard state == .active else { return answer.resume(.failure(CancellationError())) }
                    answer.resume(Result { try Self.resolve(host) })
                }
            }
        } onCancel: {
            answer.resume(.failure(CancellationError()))
        }
    }

    /// Every address `host` resolves to (blocking).
    static func resolve(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw WebhookResolutionError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses = [IPAddress]()
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if let address = info.pointee.ai_addr.flatMap({ Self.address(of: $0, family: info.pointee.ai_family) }),
               !addresses.contains(address) {
                addresses.append(address)
            }
            next = info.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw WebhookResolutionError("\(host) has no address") }
        return addresses
    }

    private static func address(of raw: UnsafeMutablePointer<sockaddr>, family: Int32) -> IPAddress? {
        switch family {
        case AF_INET:
            var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            return IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) })
        case AF_INET6:
            var address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            return IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) })
        default:
            return nil
        }
    }
}

/// Resumes a continuation exactly once, with whichever of the lookup and the cancellation
/// comes first, also when the cancellation comes before the continuation exists.
private final class AnswerOnce<Value: Sendable>: @unchecked Sendable {
    private enum State {
        case waiting
        case installed(CheckedContinuation<Value, any Error>)
        case answeredEarly(Result<Value, any Error>)
        case done
    }

    private let lock = NSLock()
    private var state = State.waiting

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        let early: Result<Value, any Error>? = lock.withLock {
            switch state {
            case .waiting:
                state = .installed(continuation)
                return nil
            case .answeredEarly(let result):
                state = .done
                return result
            case .installed, .done:
                return nil
            }
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(_ result: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Value, any Error>? = lock.withLock {
            switch state {
            case .waiting:
                state = .answeredEarly(result)
                return nil
            case .installed(let continuation):
                state = .done
                return continuation
            case .answeredEarly, .done:
                return nil
            }
        }
        waiting?.resume(with: result)
    }
}
