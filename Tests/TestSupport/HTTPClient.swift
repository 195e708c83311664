import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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

/// A small HTTP client over URLSession for talking to the real API process.
public struct HTTPClient: Sendable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL
    }

    private static func makeSession() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 32
        return URLSession(configuration: configuration)
    }

    private static let session = makeSession()

    /// Sends `method path` with an optional bearer token, body and extra headers.
    /// `ownSession` sends it on a session (and so a connection) of its own, for requests that
    /// must really run at the same time.
    public func send(
        _ method: String, _ path: String, token: String? = nil, body: RequestBody = .none,
        headers: [String: String] = [:], ownSession: Bool = false
    ) async throws -> HTTPAnswer {
        guard let url = URL(string: baseURL + path) else { throw HTTPClientError("bad URL \(baseURL + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        switch body {
        case .none:
            break
        case .raw(let data):
            request.httpBody = data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = ownSession ? Self.makeSession() : Self.session
        defer { if ownSession { session.finishTasksAndInvalidate() } }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HTTPClientError("not an HTTP response") }
        var lowered = [String: String]()
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { lowered[name.lowercased()] = value }
        }
        return HTTPAnswer(status: http.statusCode, headers: lowered, body: data)
    }
}

public struct HTTPClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
