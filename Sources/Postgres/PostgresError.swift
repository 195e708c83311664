/// An error from PostgreSQL or from talking to it.
///
/// Its description carries the SQLSTATE and the server's message but never the values of
/// query parameters, so it is safe to log.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the error came from; for `.server`, `sqlState` says what the server objected to.
    public enum Kind: Sendable, Equatable {
        /// Connecting failed or the connection broke; the statement may not have run.
        case connection
        /// The server rejected the statement (see `sqlState`).
        case server
        /// A value in a result could not be decoded into the requested Swift type.
        case decoding
        /// The pool was shut down, or a request to it was cancelled.
        case poolClosed
        /// Something the caller asked for was malformed (e.g. a bad URL).
        case invalidArgument
        /// No connection could be had in time: the server was unreachable moments ago
        /// (`OutageGate`), or every connection of the pool stayed busy past its acquire
        /// time-out.
        case unavailable
    }

    public let kind: Kind
    /// The five-character SQLSTATE of a server error, e.g. `23505` for a unique violation.
    public let sqlState: String?
    public let message: String
    public let detail: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    public var description: String {
        var text = "PostgreSQL \(kind) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        return text
    }

    /// True for errors after which the connection can no longer be used.
    public var isConnectionFailure: Bool {
        if kind == .connection { return true }
        // Class 08 is connection exception, 57P01-57P03 admin/crash shutdown.
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// True when the database cannot serve this now but may soon: it cannot be reached, no
    /// connection was free in time, a statement or a lock wait ran past its time limit
    /// (57014, 55P03), or the server is starting, shutting down or short of resources
    /// (57P0x, class 53). Callers answer these "try again later", never as a bug.
    public var isUnavailable: Bool {
        if kind == .unavailable || kind == .poolClosed || isConnectionFailure { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("53") || ["57014", "55P03", "57P03"].contains(sqlState)
    }

    public static let uniqueViolation = "23505"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
}
