import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One hop's HTTP exchange, connected to a checked address only.
extension WebhookSender {
    /// A hop's answer: its status, and where a redirect points.
    struct HopAnswer: Sendable {
        var status: Int
        var location: String?
    }

    /// POSTs to `target`, trying its first `addressesTriedPerHop` addresses in order until one
    /// answers. (A POST that failed after it was sent may so reach a receiver twice; deliveries
    /// are at least once, with a stable `webhook-id`.) Each address gets an equal share of the
    /// time left for connecting.
    func exchange(
        _ request: WebhookRequest, with target: PinnedWebhookTarget, until due: ContinuousClock.Instant,
        tried: TriedAddresses, logger: Logger
    ) async throws -> HopAnswer {
        let candidates = Array(target.addresses.prefix(Self.addressesTriedPerHop))
        var lastError: any Error = WebhookTargetRefused("\(target.host) has no address")
        for (index, address) in candidates.enumerated() {
            tried.append(address)
            let connectTimeout = Self.timeAmount((due - ContinuousClock.now) / (candidates.count - index))
            do {
                return try await exchange(
                    request, url: target.url, dnsOverride: target.dnsOverride(to: address), connectTimeout: connectTimeout,
                    until: due)
            } catch {
                try Task.checkCancellation()
                logger.warning("webhook exchange failed", metadata: [
                    "webhook.url": "\(target.url)", "webhook.address": "\(address)", "webhook.error": "\(error)",
                ])
                lastError = error
            }
        }
        throw lastError
    }

    /// One exchange on a client of its own: the DNS override is per client, and shutting the
    /// client down closes the connection, whatever of the response was left unread.
    private func exchange(
        _ request: WebhookRequest, url: String, dnsOverride: [String: String], connectTimeout: TimeAmount,
        until due: ContinuousClock.Instant
    ) async throws -> HopAnswer {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: connectTimeout)
        configuration.dnsOverride = dnsOverride
        // A failed connection fails the exchange at once (the default retries until the
        // deadline), so the next checked address gets its turn; attempts are retried anyway.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        do {
            let answer = try await Self.post(request, to: url, on: client, until: due)
            try? await client.shutdown()
            return answer
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func post(
        _ request: WebhookRequest, to url: String, on client: HTTPClient, until due: ContinuousClock.Instant
    ) async throws -> HopAnswer {
        var http = HTTPClientRequest(url: url)
        http.method = .POST
        for header in request.headers { http.headers.add(name: header.name, value: header.value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        // async-http-client's deadline ends at the response head; `send` races the rest.
        let response = try await client.execute(http, deadline: NIODeadline.now() + timeAmount(due - ContinuousClock.now))
        await readCapped(response.body)
        return HopAnswer(status: Int(response.status.code), location: response.headers.first(name: "location"))
    }

    /// Reads (and drops) at most `responseBytesRead` bytes of `body`, so a receiver that
    /// answers with a few bytes finishes cleanly while an endless body is cut off. A body that
    /// breaks off does not undo its status.
    private static func readCapped(_ body: HTTPClientResponse.Body) async {
        var read = 0
        do {
            for try await chunk in body {
                read += chunk.readableBytes
                if read >= responseBytesRead { return }
            }
        } catch {}
    }

    /// `duration` for NIO, never negative.
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}
