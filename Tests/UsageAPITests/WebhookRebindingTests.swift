import Core
import Foundation
import Logging
import NIOPosix
import TestSupport
import Testing

/// The webhook sender against real receivers on loopback, with a scripted resolver playing an
/// attacker's DNS server: a delivery connects only to the address its check saw (every redirect
/// hop too), has one deadline that covers the response body, reads a few KiB of a response at
/// most, and tells the delivery log nothing about addresses.
///
/// Names end in `.invalid`, which no system resolver answers (RFC 6761): a delivery that reaches
/// a receiver through one was connected by its checked address, never by resolving the name.
/// Receivers listen on 127.0.0.1; tests that need a "public" address next to an internal one
/// use a policy refusing one loopback address and allowing another.
@Suite(.timeLimit(.minutes(10))) struct WebhookRebindingTests {
    static let receiverAddress = IPAddress("127.0.0.1")!
    static let otherLoopback = IPAddress("127.0.0.2")!
    static let noContent: LocalHTTPServer.Handler = { _, _ in .init(status: 204) }

    /// A long deadline unless a test is about the deadline: it only guards against hangs.
    func makeSender(
        _ policy: WebhookAddressPolicy, _ resolver: ScriptedResolver, deadline: Duration = .seconds(300)
    ) -> WebhookSender {
        WebhookSender(
            policy: policy, resolver: resolver, deadline: deadline, maxRedirects: 3,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }

    func webhookRequest(_ url: String) -> WebhookRequest {
        WebhookRequest(url: url, headers: [("content-type", "application/json"), ("webhook-id", "evt_rebinding")], body: Data(#"{"type":"webhook.test"}"#.utf8))
    }

    let logger = Logger(label: "test.webhooks")

    @Test func theConnectionGoesToTheCheckedAddressAndTheNameIsResolvedOnce() async throws {
        let receiver = try await LocalHTTPServer.start(Self.noContent)
        defer { Task { await receiver.stop() } }
        // The second answer would lead elsewhere; it must never be asked for.
        let resolver = ScriptedResolver(["pinned.rebind.invalid": [[Self.receiverAddress], [Self.otherLoopback]]])
        let outcome = await makeSender(.anyAddress, resolver).send(webhookRequest("http://pinned.rebind.invalid:\(receiver.port)/hook"), logger: logger)

        #expect(outcome == WebhookSendOutcome(status: 204, failure: nil, addressesTried: [Self.receiverAddress]))
        #expect(resolver.asked == ["pinned.rebind.invalid"])
        let received = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(received.headers["host"] == "pinned.rebind.invalid:\(receiver.port)", "the name, not the address, is the Host")
        #expect(received.headers["webhook-id"] == "evt_rebinding")
        #expect(received.json["type"] as? String == "webhook.test")
    }

    /// The attack: the name answers an allowed address to the check and the receiver's (here the
    /// refused one) afterwards. Nothing reaches the receiver, and the log says only "network error".
    @Test func aNameRebindingAfterTheCheckNeverReachesItsSecondAnswer() async throws {
        let receiver = try await LocalHTTPServer.start(Self.noContent)
        defer { Task { await receiver.stop() } }
        let policy = WebhookAddressPolicy(allowsPrivateURLs: true) { $0 == Self.receiverAddress }
        let resolver = ScriptedResolver(["rebind.rebind.invalid": [[Self.otherLoopback], [Self.receiverAddress]]])
        let outcome = await makeSender(policy, resolver).send(webhookRequest("http://rebind.rebind.invalid:\(receiver.port)/hook"), logger: logger)

        #expect(receiver.requests.isEmpty)
        #expect(resolver.asked == ["rebind.rebind.invalid"])
        #expect(outcome.addressesTried == [Self.otherLoopback], "connected to the checked address only")
        #expect(outcome.failure == .networkError)
        #expect(outcome.failure?.text == "network error")
    }

    @Test func internalAnswersAndUnresolvableNamesAreRefusedWithoutDetail() async throws {
        let resolver = ScriptedResolver([
            "metadata.rebind.invalid": [[IPAddress("203.0.113.7")!, IPAddress("169.254.169.254")!]],
            "private.rebind.invalid": [[IPAddress("10.0.0.8")!]],
        ])
        let sender = makeSender(.publicOnly, resolver)
        for url in [
            "http://metadata.rebind.invalid/latest/meta-data", "https://private.rebind.invalid/hook",
            "http://missing.rebind.invalid/hook", "http://169.254.169.254/latest/meta-data", "http://[::ffff:10.0.0.1]/x",
        ] {
            let outcome = await sender.send(webhookRequest(url), logger: logger)
            #expect(outcome == WebhookSendOutcome(status: nil, failure: .targetRefused, addressesTried: []), "\(url)")
            #expect(outcome.failure?.text == "target refused")
        }
        // IP literals are checked as they are, without asking the resolver.
        #expect(resolver.asked == ["metadata.rebind.invalid", "private.rebind.invalid", "missing.rebind.invalid"])
    }

    @Test func everyRedirectHopIsCheckedAndConnectedToByItsCheckedAddress() async throws {
        let redirects: LocalHTTPServer.Handler = { _, request in
            let port = request.headers["host"]?.split(separator: ":").last.map(String.init) ?? ""
            switch request.uri {
            case "/hop/allowed": return .init(status: 307, headers: ["Location": "http://second.rebind.invalid:\(port)/ok"])
            case "/hop/inside": return .init(status: 308, headers: ["Location": "http://inside.rebind.invalid:\(port)/ok"])
            case "/hop/loop": return .init(status: 302, headers: ["Location": "/hop/loop"])
            default: return .init(status: 204)
            }
        }
        let receiver = try await LocalHTTPServer.start(redirects)
        defer { Task { await receiver.stop() } }
        let policy = WebhookAddressPolicy(allowsPrivateURLs: true) { $0 == Self.otherLoopback }
        let resolver = ScriptedResolver([
            "first.rebind.invalid": [[Self.receiverAddress]],
            "second.rebind.invalid": [[Self.receiverAddress]],
            // Refused at its hop, though it would answer the receiver's address later.
            "inside.rebind.invalid": [[Self.otherLoopback], [Self.receiverAddress]],
        ])
        let sender = makeSender(policy, resolver)
        let base = "http://first.rebind.invalid:\(receiver.port)"

        let followed = await sender.send(webhookRequest(base + "/hop/allowed"), logger: logger)
        #expect(followed == WebhookSendOutcome(status: 204, failure: nil, addressesTried: [Self.receiverAddress, Self.receiverAddress]))
        #expect(receiver.requests.map(\.uri) == ["/hop/allowed", "/ok"])
        #expect(receiver.requests.last?.headers["host"] == "second.rebind.invalid:\(receiver.port)")
        #expect(receiver.requests.last?.headers["webhook-id"] == "evt_rebinding", "the same POST at every hop")

        let refused = await sender.send(webhookRequest(base + "/hop/inside"), logger: logger)
        #expect(refused.failure == .targetRefused)
        #expect(refused.addressesTried == [Self.receiverAddress])
        #expect(receiver.requests.map(\.uri) == ["/hop/allowed", "/ok", "/hop/inside"])
        #expect(resolver.asked.filter { $0 == "inside.rebind.invalid" }.count == 1)

        let looping = await sender.send(webhookRequest(base + "/hop/loop"), logger: logger)
        #expect(looping.failure == .tooManyRedirects && looping.status == 302)
        #expect(receiver.requests.filter { $0.uri == "/hop/loop" }.count == 4, "the first request and three redirects")
    }

    /// A body that never ends: the delivery stops reading at the cap, succeeds by its status,
    /// and closes the connection. (Reading it all would last until the deadline, five minutes.)
    @Test func anEndlessResponseBodyIsCutAtTheCap() async throws {
        let receiver = try await StreamingReceiver.start(.flood)
        defer { Task { await receiver.stop() } }
        let resolver = ScriptedResolver(["flood.rebind.invalid": [[Self.receiverAddress]]])
        let outcome = await makeSender(.anyAddress, resolver).send(webhookRequest("http://flood.rebind.invalid:\(receiver.port)/hook"), logger: logger)

        #expect(outcome == WebhookSendOutcome(status: 200, failure: nil, addressesTried: [Self.receiverAddress]))
        #expect(receiver.requests == 1)
        try await eventually("the receiver's connection to be closed") { receiver.closedConnections == 1 }
    }

    /// A body that trickles a byte at a time: the one deadline covers it, however often bytes
    /// arrive, and the log says "timed out".
    @Test func aTricklingResponseBodyEndsAtTheDeadline() async throws {
        let receiver = try await StreamingReceiver.start(.trickle)
        defer { Task { await receiver.stop() } }
        let resolver = ScriptedResolver(["trickle.rebind.invalid": [[Self.receiverAddress]]])
        let outcome = await makeSender(.anyAddress, resolver, deadline: .seconds(5))
            .send(webhookRequest("http://trickle.rebind.invalid:\(receiver.port)/hook"), logger: logger)

        #expect(outcome.failure == .timedOut)
        #expect(outcome.failure?.text == "timed out")
        #expect(outcome.addressesTried == [Self.receiverAddress])
        #expect(receiver.requests == 1)
        try await eventually("the receiver's connection to be closed") { receiver.closedConnections == 1 }
    }

    /// Through the API and a real worker: the delivery log shows the generic words only.
    @Test func theDeliveryLogShowsGenericErrors() async throws {
        let trickle = try await StreamingReceiver.start(.trickle)
        let flood = try await StreamingReceiver.start(.flood)
        defer { Task { await trickle.stop(); await flood.stop() } }
        let settings = WebhookTests.deliverySettings.merging(["WEBHOOK_TIMEOUT_MS": "5000", "WEBHOOK_MAX_ATTEMPTS": "1"]) { $1 }
        try await TestServer.runMetered(settings) { server in
            let token = server.token(TestServer.newUser("generic"))
            let slow = try await server.createWebhook(token, url: "http://127.0.0.1:\(trickle.port)/hook")
            let endless = try await server.createWebhook(token, url: "http://127.0.0.1:\(flood.port)/hook")
            for hook in [slow, endless] {
                _ = try server.data(try await server.post("/webhooks/\(hook.id)/test", token: token), 202)
            }
            try await eventually("both deliveries to end", timeout: .seconds(120)) {
                let slowStatus = try await server.deliveries(token, webhook: slow.id).first?["status"]?.string
                let endlessStatus = try await server.deliveries(token, webhook: endless.id).first?["status"]?.string
                return slowStatus == "failed" && endlessStatus == "delivered"
            }
            let failed = try #require(try await server.deliveries(token, webhook: slow.id).first)
            #expect(failed["error"]?.string == "timed out")
            #expect(failed["attempt_log"]?.array?.first?["error"]?.string == "timed out")
            let delivered = try #require(try await server.deliveries(token, webhook: endless.id).first)
            #expect(delivered["response_status"]?.int == 200)
            #expect(delivered["error"]?.isNull == true)
        }
    }

    @Test func theSystemResolverAnswersWithAddresses() async throws {
        let addresses = try await SystemWebhookResolver().addresses(of: "localhost")
        #expect(!addresses.isEmpty && addresses.allSatisfy(\.isInternal), "\(addresses)")
        await #expect(throws: WebhookResolutionError.self) {
            try await SystemWebhookResolver().addresses(of: "no-such-host.invalid")
        }
    }
}
