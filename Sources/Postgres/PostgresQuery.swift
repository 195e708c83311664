/// A SQL statement and its parameters.
///
/// Written as a string literal, every interpolated value becomes a bound parameter (`$1`,
/// `$2`, …), never SQL text:
///
///     let query: PostgresQuery = "SELECT id FROM jobs WHERE queue = \(queue) AND kind = \(kind)"
///
/// SQL text that is not a literal can only come in through `unsafeSQL:` or `\(unsafeRaw:)`,
/// which say so at the call site.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [PostgresBind]

    /// A statement whose SQL text is trusted as is, with explicit parameters.
    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Builds a query from a literal: literal text becomes SQL, each interpolated value a `$n`
    /// parameter.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            append(PostgresBind(text: value.postgresText, oid: Value.postgresOID))
        }

        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            append(PostgresBind(text: value?.postgresText, oid: Value.postgresOID))
        }

        /// Inserts another query (a reusable fragment such as a tenant filter), renumbering
        /// its parameters after the ones already bound.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            sql += PostgresQuery.renumberParameters(fragment.sql, offset: binds.count)
            binds += fragment.binds
        }

        /// Inserts SQL text verbatim. Only for identifiers and fragments the program itself
        /// owns, never for values.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            sql += text
        }

        mutating func append(_ bind: PostgresBind) {
            binds.append(bind)
            sql += "$\(binds.count)"
        }
    }

    /// `$n` → `$(n + offset)` in `sql`.
    static func renumberParameters(_ sql: String, offset: Int) -> String {
        guard offset > 0 else { return sql }
        var result = ""
        let characters = Array(sql)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            result.append(character)
            index += 1
            guard character == "$" else { continue }
            var digits = ""
            while index < characters.count, characters[index].isASCII, characters[index].isNumber {
                digits.append(characters[index])
                index += 1
            }
            if let number = Int(digits) { result += String(number + offset) } else { result += digits }
        }
        return result
    }
}
