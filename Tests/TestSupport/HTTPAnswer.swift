import Foundation

/// What a request sends as its body.
public enum RequestBody: Sendable {
    case none
    /// Bytes exactly as given (malformed JSON, invalid UTF-8, spec examples verbatim).
    case raw(Data)

    /// A JSON value built from Foundation objects (dictionaries, arrays, strings, numbers, Bool).
    public static func json(_ object: Any) -> RequestBody {
        .raw(try! JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed, .sortedKeys]))
    }

    public static func text(_ text: String) -> RequestBody {
        .raw(Data(text.utf8))
    }
}

/// One answer of the API.
public struct HTTPAnswer: Sendable, CustomStringConvertible {
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: Data

    public var json: JSON? { JSON.parse(body) }
    public var text: String { String(decoding: body, as: UTF8.self) }

    public var description: String {
        "HTTP \(status): \(text.prefix(600))"
    }
}

/// A harness step that went wrong: a request that did not answer as it must, a process
/// that died, a wait for something that cannot happen any more.
public struct HarnessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
