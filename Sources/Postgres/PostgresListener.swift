import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps a connection that LISTENs on some channels and hands every NOTIFY to a callback.
///
/// It runs on a thread of its own (waiting on the socket blocks) and reconnects with
/// backoff when the server goes away. Notifications sent while it was disconnected are
/// lost, so `onConnect` fires after every (re)connect: callers should then look for work
/// as if woken.
public final class PostgresListener: Service, Sendable {
    private let url: String
    private let channels: [String]
    private let logger: Logger
    private let onNotification: @Sendable (PostgresNotification) -> Void
    private let onConnect: @Sendable () -> Void
    private let stopping = Atomic<Bool>(false)

    public init(
        url: String,
        channels: [String],
        logger: Logger,
        onConnect: @escaping @Sendable () -> Void = {},
        onNotification: @escaping @Sendable (PostgresNotification) -> Void
    ) {
        self.url = url
        self.channels = channels
        self.logger = logger
        self.onConnect = onConnect
        self.onNotification = onNotification
    }

    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await listenOnOwnThread()
            } onGracefulShutdown: { self.stop() }
        } onCancel: { self.stop() }
    }

    private func listenOnOwnThread() async {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                listenUntilStopped()
                finished.resume()
            }
            thread.name = "postgres-listener"
            thread.start()
        }
    }

    /// Stops the listening thread (also done by graceful shutdown).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    private func listenUntilStopped() {
        var failures = 0
        while !stopping.load(ordering: .relaxed) {
            do {
                let connection = try PostgresConnection(url: url, applicationName: "context0-listener")
                for channel in channels { try connection.listen(channel) }
                failures = 0
                onConnect()
                while !stopping.load(ordering: .relaxed) {
                    for notification in try connection.waitForNotifications(timeout: .milliseconds(200)) {
                        onNotification(notification)
                    }
                }
                connection.close()
            } catch {
                failures += 1
                logger.warning("listener connection failed, reconnecting", metadata: ["error": "\(error)"])
                let delay = min(0.05 * pow(2, Double(min(failures, 6))), 2.0)
                var waited = 0.0
                while waited < delay, !stopping.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: 0.05)
                    waited += 0.05
                }
            }
        }
    }
}
