import CLibPQ
import Foundation

/// One libpq connection. Its calls block, so it is used from one thread at a time:
/// `PostgresPool` hands it to blocking work on threads made for that, never on Swift's
/// cooperative pool.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Names of the statements prepared on this session.
    private var prepared = Set<String>()

    /// Connects to `url` (a `postgresql://` URI or a libpq conninfo string).
    ///
    /// Sessions run in UTC with ISO dates so timestamps decode the same everywhere;
    /// `sessionSettings` adds server settings (names and values of letters, digits and `_`).
    public init(url: String, applicationName: String = "context0", connectTimeout: Int = 10, sessionSettings: [String: String] = [:]) throws {
        let extra = sessionSettings.sorted { $0.key < $1.key }.map { " -c \($0.key)=\($0.value)" }.joined()
        let settings: [(String, String)] = [
            ("dbname", url),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
            ("options", "-c TimeZone=UTC -c DateStyle=ISO" + extra),
            ("connect_timeout", String(connectTimeout)),
            // A server gone without closing its sockets (a host that died, a network cut) is
            // noticed in about a minute, not after the kernel's two hours.
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
        ]
        let keywords = settings.map { strdup($0.0) } + [nil]
        let values = settings.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = keywords.withUnsafeBufferPointer { keys in
            values.withUnsafeBufferPointer { vals in
                keys.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keys.count) { k in
                    vals.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: vals.count) { v in
                        PQconnectdbParams(k, v, 1)
                    }
                }
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { Self.errorText($0) } ?? "out of memory"
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: "cannot connect: \(message)")
        }
        // Server NOTICEs (e.g. "already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a connection error.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresResult {
        let connection = try liveHandle()
        let result = withParameters(query) { types, values in
            PQexecParams(connection, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try Self.check(result, connection: connection)
    }

    /// Runs a statement prepared once per session under `name`, for hot statements whose
    /// planning costs more than their execution. `name` must stand for one SQL text (and the
    /// same parameter types) everywhere it is used.
    @discardableResult
    public func query(_ query: PostgresQuery, preparedAs name: String) throws -> PostgresResult {
        let connection = try liveHandle()
        if !prepared.contains(name) {
            let result = withParameters(query) { types, _ in
                PQprepare(connection, name, query.sql, Int32(query.binds.count), types)
            }
            defer { PQclear(result) }
            _ = try Self.check(result, connection: connection)
            prepared.insert(name)
        }
        let result = withParameters(query) { _, values in
            PQexecPrepared(connection, name, Int32(query.binds.count), values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try Self.check(result, connection: connection)
    }

    /// Runs a script of several statements without parameters (simple query protocol),
    /// e.g. a migration file.
    public func executeScript(_ sql: String) throws {
        let connection = try liveHandle()
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        _ = try Self.check(result, connection: connection)
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back if it throws.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
    }

    /// The connection's server-side process id, e.g. for `pg_terminate_backend` in tests.
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// True while a transaction is open (or failed and not yet rolled back) on the session.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) != PQTRANS_IDLE
    }

    /// False when the connection is closed or the server has gone away. Cheap: it only
    /// looks at whether the socket has something to read (a dying server says goodbye).
    ///
    /// A server that ended the session first sends its FATAL message, then closes: the first
    /// read takes the message and leaves the status OK, only the next one meets the end of
    /// the stream. So the socket is read for as long as it has something (a few times at
    /// most), and a connection the server has closed is never handed out to fail its caller.
    public var isHealthy: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        for _ in 0..<8 where Self.waitReadable(PQsocket(handle), timeoutMilliseconds: 0) {
            guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else { return false }
            while let notice = PQnotifies(handle) { PQfreemem(notice) }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, message: "connection is closed")
        }
        return handle
    }

    /// Calls `body` with libpq's parameter arrays for `query`.
    func withParameters<R>(
        _ query: PostgresQuery,
        _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        let types = query.binds.map(\.oid)
        let values: [UnsafeMutablePointer<CChar>?] = query.binds.map { bind in bind.text.map { strdup($0) } }
        defer { values.forEach { free($0) } }
        return types.withUnsafeBufferPointer { typePointer in
            values.withUnsafeBufferPointer { valuePointer in
                valuePointer.baseAddress!.withMemoryRebound(
                    to: UnsafePointer<CChar>?.self, capacity: max(values.count, 1)
                ) { body(typePointer.baseAddress, $0) }
            }
        }
    }

    static func errorText(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Turns a libpq result into rows or a typed error.
    static func check(_ result: OpaquePointer?, connection: OpaquePointer) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: errorText(connection))
        }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_SINGLE_TUPLE:
            return copyRows(result)
        case PGRES_PIPELINE_ABORTED:
            throw PostgresError(kind: .server, message: "statement skipped: an earlier statement of the pipeline failed")
        default:
            throw serverError(result, connection: connection)
        }
    }

    static func serverError(_ result: OpaquePointer, connection: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C")
        let message = field("M") ?? errorText(connection)
        let kind: PostgresError.Kind = PQstatus(connection) == CONNECTION_OK ? .server : .connection
        return PostgresError(kind: kind, sqlState: sqlState, message: message, detail: field("D"))
    }

    static func copyRows(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var values = [[String?]]()
        values.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var rowValues = [String?]()
            rowValues.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    rowValues.append(nil)
                } else {
                    rowValues.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
            values.append(rowValues)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, values: values, affectedRows: affected)
    }

    static func waitReadable(_ socket: Int32, timeoutMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, timeoutMilliseconds) > 0
    }
}
