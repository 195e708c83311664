import Foundation

/// A value bound to a query parameter, in PostgreSQL's text format.
public struct PostgresBind: Sendable {
    /// The text form, or nil for SQL NULL.
    public var text: String?
    /// The parameter's type OID; 0 lets the server infer it from the statement.
    public var oid: UInt32

    public init(text: String?, oid: UInt32) {
        self.text = text
        self.oid = oid
    }

    public static let null = PostgresBind(text: nil, oid: 0)
}

/// Type OIDs of the built-in types we bind.
public enum PostgresOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let boolArray: UInt32 = 1000
    public static let int4Array: UInt32 = 1007
    public static let textArray: UInt32 = 1009
    public static let int8Array: UInt32 = 1016
    public static let float8Array: UInt32 = 1022
    public static let timestamptz: UInt32 = 1184
    public static let timestamptzArray: UInt32 = 1185
    public static let uuid: UInt32 = 2950
    public static let uuidArray: UInt32 = 2951
    public static let jsonb: UInt32 = 3802
    public static let jsonbArray: UInt32 = 3807
}

/// A Swift value that can be bound as a query parameter.
public protocol PostgresEncodable: Sendable {
    /// The OID of the PostgreSQL type this value binds as.
    static var postgresOID: UInt32 { get }
    /// The OID of an array of this type, when arrays of it can be bound.
    static var postgresArrayOID: UInt32 { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
    /// False when no text of this type ever needs quoting inside an array literal
    /// (numbers, booleans, uuids): arrays of them are written without escaping.
    static var postgresArrayElementsNeedQuoting: Bool { get }
}

extension PostgresEncodable {
    public static var postgresArrayOID: UInt32 { 0 }
    public static var postgresArrayElementsNeedQuoting: Bool { true }
}

/// A Swift value that can be read from a result column in text format.
public protocol PostgresDecodable: Sendable {
    init?(postgresText text: String)
}

/// A type that can be both bound as a parameter and read back from a result.
public typealias PostgresCodable = PostgresEncodable & PostgresDecodable
