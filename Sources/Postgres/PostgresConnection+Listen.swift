import CLibPQ

/// A NOTIFY received on a connection that LISTENs.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String

    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}

extension PostgresConnection {
    /// Starts listening on `channel` (a name, quoted here as an identifier).
    public func listen(_ channel: String) throws {
        try query(PostgresQuery(unsafeSQL: "LISTEN " + Self.quoteIdentifier(channel)))
    }

    /// Returns the notifications that arrived, waiting up to `timeout` for the first one.
    /// An empty array means the time ran out. Throws if the connection broke.
    public func waitForNotifications(timeout: Duration) throws -> [PostgresNotification] {
        let connection = try liveHandle()
        var received = drainNotifications(connection)
        if !received.isEmpty { return received }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000
            + timeout.components.attoseconds / 1_000_000_000_000_000)
        if Self.waitReadable(PQsocket(connection), timeoutMilliseconds: milliseconds) {
            guard PQconsumeInput(connection) == 1, PQstatus(connection) == CONNECTION_OK else {
                throw PostgresError(kind: .connection, message: Self.errorText(connection))
            }
            received = drainNotifications(connection)
        }
        return received
    }

    private func drainNotifications(_ connection: OpaquePointer) -> [PostgresNotification] {
        var received = [PostgresNotification]()
        while let notify = PQnotifies(connection) {
            received.append(PostgresNotification(
                channel: String(cString: notify.pointee.relname),
                payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return received
    }

    /// Quotes a name as a SQL identifier (`"name"`), doubling embedded quotes.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
