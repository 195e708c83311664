import Core
import Foundation
import Jobs
import Logging
import Postgres
import Synchronization
import TestSupport
import Testing

/// `emit_webhook_event` (SQL) enqueues the delivery jobs itself, in the emitting
/// transaction; its kind, queue, attempts, time-out, arguments and wake-up channel must be
/// `DeliverWebhookArgs`'s, or workers would never run the deliveries.
@Suite struct DeliveryJobContractTests {
    @Test func theSQLFunctionEnqueuesTheDeliveryJobAsTheSwiftTypeDefinesIt() async throws {
        try await TestDatabase.with { database, pool in
            let woken = Mutex<[String]>([])
            let listener = PostgresListener(url: database.url, channels: [JobQueue.wakeupChannel], logger: Logger(label: "test"),
                                            onConnect: { woken.withLock { $0.append("connected") } },
                                            onNotification: { note in woken.withLock { $0.append(note.payload) } })
            let listening = Task { try await listener.run() }
            defer { listener.stop(); listening.cancel() }
            try await eventually("the listener is connected") { woken.withLock { $0.contains("connected") } }

            let emitted = try await pool.withTransaction { connection in
                _ = try WebhookStore().create(userID: "u1", url: "https://example.com/hook", events: ["*"], description: nil, on: connection)
                return try WebhookEvents.emit(.webhookTest, userID: "u1", data: ["n": 1], on: connection)
            }
            let delivery = try #require(emitted?.deliveries.first)
            let row = try #require(try await pool.query("""
                SELECT kind, queue, args::text AS args, max_attempts, timeout_seconds, owner_user_id FROM jobs WHERE id = \(delivery.jobID)
                """).first)
            let defaults = DeliverWebhookArgs.defaults
            #expect(try row.decode("kind", as: String.self) == DeliverWebhookArgs.kind)
            #expect(try row.decode("queue", as: String.self) == defaults.queue)
            #expect(try row.decode("max_attempts", as: Int.self) == defaults.maxAttempts)
            #expect(try row.decode("timeout_seconds", as: Int.self) == defaults.timeout.map { Int($0.components.seconds) })
            #expect(try row.decode("owner_user_id", as: String?.self) == "u1")
            let args = try JSONDecoder().decode(DeliverWebhookArgs.self, from: Data(try row.decode("args", as: String.self).utf8))
            #expect(args.deliveryID == delivery.id)
            try await eventually("the webhooks queue is woken") { woken.withLock { $0.contains(defaults.queue ?? "") } }
        }
    }
}
