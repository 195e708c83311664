import CLibPQ

extension PostgresConnection {
    /// Sends every statement before reading any answer (libpq pipeline mode), so N
    /// statements cost one round trip instead of N. Statements after a failing one are
    /// skipped by the server; the first error is thrown once all answers are read.
    ///
    /// Meant for tens of statements: the connection stays in blocking mode, which is
    /// fine while the answers fit in the socket buffers.
    public func pipeline(_ queries: [PostgresQuery]) throws -> [PostgresResult] {
        let connection = try liveHandle()
        guard PQenterPipelineMode(connection) == 1 else {
            throw PostgresError(kind: .connection, message: Self.errorText(connection))
        }
        defer { PQexitPipelineMode(connection) }
        for query in queries {
            let sent = withParameters(query) { types, values in
                PQsendQueryParams(connection, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
            }
            guard sent == 1 else {
                throw PostgresError(kind: .connection, message: Self.errorText(connection))
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            throw PostgresError(kind: .connection, message: Self.errorText(connection))
        }
        return try readPipelineResults(count: queries.count, connection: connection)
    }

    private func readPipelineResults(count: Int, connection: OpaquePointer) throws -> [PostgresResult] {
        var results = [PostgresResult]()
        var firstError: Error?
        for _ in 0..<count {
            let result = PQgetResult(connection)
            do {
                results.append(try Self.check(result, connection: connection))
            } catch {
                if firstError == nil { firstError = error }
            }
            PQclear(result)
            // Each statement's answer ends with a NULL result.
            while let extra = PQgetResult(connection) { PQclear(extra) }
            if PQstatus(connection) != CONNECTION_OK { break }
        }
        try drainUntilSync(connection)
        if let firstError { throw firstError }
        return results
    }

    private func drainUntilSync(_ connection: OpaquePointer) throws {
        var emptyReads = 0
        // Two NULLs in a row without the sync means the answer will never come.
        while PQstatus(connection) == CONNECTION_OK, emptyReads < 2 {
            guard let result = PQgetResult(connection) else {
                emptyReads += 1
                continue
            }
            emptyReads = 0
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { return }
        }
        throw PostgresError(kind: .connection, message: Self.errorText(connection))
    }
}
