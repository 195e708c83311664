import AsyncHTTPClient
import Core
import Foundation
import Jobs
import NIOCore
import NIOHTTP1
import NIOPosix
import Postgres

/// `webhook.deliver`: POSTs one event to one webhook, signed as Standard Webhooks says,
/// records the attempt, and waits for the next one (snoozing its job) until the delivery
/// succeeds, runs out of attempts, or the webhook is disabled.
struct DeliverWebhook: Sendable {
    let pool: PostgresPool
    let http: HTTPClient
    let settings: WebhookSettings
    let store = WebhookStore()
    static let userAgent = "Context0-Webhooks/1.0"

    func run(_ job: DeliverWebhookJob, context: JobContext) async throws -> JobOutcome? {
        guard let delivery = try await pool.withConnection({ [store] in try store.pendingDelivery(id: job.deliveryID, on: $0) }),
              delivery.status == .pending || delivery.status == .retrying else {
            return .completed  // deleted with its webhook, or already finished
        }
        guard delivery.webhookEnabled else {
            try await pool.withConnection { [store] in
                try store.end(deliveryID: delivery.deliveryID, status: .cancelled, reason: "the webhook is disabled", on: $0)
            }
            return .completed
        }
        do {
            return try await attempt(delivery)
        } catch where context.job.attempt >= context.job.maxAttempts {
            // The job's last try (its retries cover crashes, not receivers): the delivery must
            // not wait forever in `retrying`.
            try? await pool.withConnection { [store] in
                try store.end(deliveryID: delivery.deliveryID, status: .failed, reason: "delivery stopped: \(error)", on: $0)
            }
            throw error
        }
    }

    private func attempt(_ delivery: PendingDelivery) async throws -> JobOutcome {
        let attempt = await send(delivery)
        let number = delivery.attempts + 1
        let delay = number >= settings.maxAttempts ? nil : settings.retry.delay(afterAttempt: number)
        let result = try await pool.withTransaction { [store, settings] in
            try store.recordAttempt(
                attempt, deliveryID: delivery.deliveryID, webhookID: delivery.webhookID, retryDelay: delay,
                disableAfter: settings.disableAfter, on: $0)
        }
        if case .retry(let after) = result { return .snoozed(delay: after) }
        return .completed
    }

    /// One attempt: the body, its signature, the POST (following a few redirects, each
    /// target checked), and what came of it.
    private func send(_ delivery: PendingDelivery) async -> DeliveryAttempt {
        let started = ContinuousClock.now
        func ended(_ status: Int?, _ error: String?) -> DeliveryAttempt {
            DeliveryAttempt(responseStatus: status, error: error.map { String($0.prefix(500)) }, duration: ContinuousClock.now - started)
        }
        do {
            let body = try Self.body(of: delivery)
            let timestamp = Int(Date().timeIntervalSince1970)
            let signature = try WebhookSignature.sign(id: delivery.eventID, timestamp: timestamp, body: body, secret: delivery.secret)
            var target = delivery.url
            for _ in 0...settings.maxRedirects {
                try await checkTarget(target)
                var request = HTTPClientRequest(url: target)
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.headers.add(name: "user-agent", value: Self.userAgent)
                request.headers.add(name: "webhook-id", value: delivery.eventID)
                request.headers.add(name: "webhook-timestamp", value: String(timestamp))
                request.headers.add(name: "webhook-signature", value: signature)
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeout.seconds * 1000)))
                let status = Int(response.status.code)
                // Read (and drop) up to 64 KiB of the answer so the connection can be reused;
                // a receiver's body is never kept, and a broken one does not undo its status.
                var read = 0
                do {
                    for try await chunk in response.body {
                        read += chunk.readableBytes
                        if read > 65_536 { break }
                    }
                } catch {}
                if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "location") {
                    guard let next = URL(string: location, relativeTo: URL(string: target))?.absoluteURL.absoluteString else {
                        return ended(status, "redirected to an unreadable location")
                    }
                    target = next
                    continue
                }
                return ended(status, (200..<300).contains(status) ? nil : "HTTP \(status)")
            }
            return ended(nil, "more than \(settings.maxRedirects) redirects")
        } catch let refusal as WebhookTargetError {
            return ended(nil, "refused target: \(refusal.description)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return ended(nil, "timed out after \(Int(settings.timeout.seconds)) s")
        } catch {
            return ended(nil, "\(error)")
        }
    }

    /// `{"id", "type", "timestamp", "data"}`.
    static func body(of delivery: PendingDelivery) throws -> Data {
        let data = try JSONSerialization.jsonObject(with: Data(delivery.eventData.utf8), options: [.fragmentsAllowed])
        let timestamp = delivery.eventCreatedAt.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        return try JSONSerialization.data(
            withJSONObject: ["id": delivery.eventID, "type": delivery.eventType, "timestamp": timestamp, "data": data],
            options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The SSRF guard at delivery: the URL's scheme and form, and every address its host
    /// resolves to. (The HTTP client resolves the name again when it connects; a name that
    /// changes its answer in between is not caught here.)
    private func checkTarget(_ target: String) async throws {
        let url = try WebhookURL.validate(target, allowPrivate: settings.allowPrivateTargets).get()
        guard !settings.allowPrivateTargets, let host = url.host else { return }
        // URL.host may keep an IPv6 literal's brackets; the resolver wants it bare.
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(bare) }
        if let blocked = addresses.first(where: \.isInternal) {
            throw WebhookTargetError("\(host) resolves to \(blocked), a private, loopback, link-local or metadata address")
        }
    }

    /// Every address `host` resolves to (blocking; run on a thread pool).
    static func resolve(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw WebhookTargetError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses = [IPAddress]()
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if let sockaddr = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    var address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                case AF_INET6:
                    var address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                default:
                    break
                }
            }
            next = info.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw WebhookTargetError("\(host) has no address") }
        return addresses
    }
}
