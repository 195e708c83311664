/// The rows of one statement's result, copied out of libpq.
public struct PostgresResult: Sendable {
    /// Column names in order.
    public let columns: [String]
    /// Row values as text, nil for NULL.
    let values: [[String?]]
    /// Rows affected, for INSERT/UPDATE/DELETE (from the command tag).
    public let affectedRows: Int

    init(columns: [String], values: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    public var rows: [PostgresRow] {
        let index = columnIndex
        return values.map { PostgresRow(columnIndex: index, values: $0) }
    }

    public var first: PostgresRow? { rows.first }

    private var columnIndex: [String: Int] {
        var index = [String: Int](minimumCapacity: columns.count)
        for (position, name) in columns.enumerated() where index[name] == nil {
            index[name] = position
        }
        return index
    }
}

/// One result row. Decoding errors name the column and the wanted type.
///
/// The decoding methods are inlinable: specialised in the caller, they skip the generic
/// metadata lookups that otherwise cost more than the decoding of a small value.
public struct PostgresRow: Sendable {
    @usableFromInline let columnIndex: [String: Int]
    @usableFromInline let values: [String?]

    /// Decodes column `name`, which must not be NULL.
    @inlinable
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decode(name, as: Optional<T>.self) else {
            throw PostgresError(kind: .decoding, message: "column \"\(name)\" is NULL, expected \(T.self)")
        }
        return value
    }

    /// Decodes column `name`, nil for NULL.
    @inlinable
    public func decode<T: PostgresDecodable>(_ name: String, as type: T?.Type) throws -> T? {
        guard let position = columnIndex[name] else {
            throw PostgresError(kind: .decoding, message: "no column \"\(name)\" in the result")
        }
        guard let text = values[position] else { return nil }
        guard let value = T(postgresText: text) else {
            throw PostgresError(kind: .decoding, message: "column \"\(name)\" cannot be read as \(T.self)")
        }
        return value
    }

    /// Decodes the column at `position`.
    @inlinable
    public func decode<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T {
        guard position < values.count, let text = values[position] else {
            throw PostgresError(kind: .decoding, message: "column \(position) is NULL or missing, expected \(T.self)")
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(kind: .decoding, message: "column \(position) cannot be read as \(T.self)")
        }
        return value
    }
}
