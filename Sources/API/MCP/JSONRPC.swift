import Foundation
import Hummingbird

/// A JSON-RPC 2.0 error object: how MCP answers a message it cannot take (a tool that ran and
/// failed is a result with `isError`, not one of these).
struct JSONRPCError: Error, Encodable, Sendable {
    let code: Int
    let message: String

    static func parse(_ message: String) -> JSONRPCError { JSONRPCError(code: -32700, message: message) }
    static func invalidRequest(_ message: String) -> JSONRPCError { JSONRPCError(code: -32600, message: message) }
    static func methodNotFound(_ method: String) -> JSONRPCError { JSONRPCError(code: -32601, message: "method not found: \(method)") }
    static func invalidParams(_ message: String) -> JSONRPCError { JSONRPCError(code: -32602, message: message) }
}

/// One message of an MCP POST body: a request (it has an `id`, and gets an answer) or a
/// notification or a response of the client's (no answer).
struct JSONRPCMessage: Sendable {
    /// Nil for notifications and responses.
    let id: JSONValue?
    /// Nil for a response of the client's.
    let method: String?
    let params: [String: JSONValue]

    /// Reads one message; a batch (a JSON array) is refused, as MCP 2025-06-18 removed batches.
    /// The error carries the request's id when one could be read.
    static func read(_ data: Data) throws(JSONRPCFailure) -> JSONRPCMessage {
        guard String(validating: data, as: UTF8.self) != nil, let parsed = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw JSONRPCFailure(id: .null, error: .parse("the body is not JSON in UTF-8"))
        }
        guard case .object(let object) = parsed else {
            throw JSONRPCFailure(id: .null, error: .invalidRequest("one JSON-RPC message (an object) per request; batches are not supported"))
        }
        let id = object["id"]
        // PostgreSQL stores no NUL character in text or jsonb: refused here, not as a failure later.
        guard !parsed.containsNUL else {
            throw JSONRPCFailure(id: .null, error: .invalidRequest("the message contains a NUL character (\\u0000), which cannot be stored"))
        }
        guard object["jsonrpc"] == .string("2.0") else {
            throw JSONRPCFailure(id: id ?? .null, error: .invalidRequest("jsonrpc must be \"2.0\""))
        }
        switch id {
        case nil, .string?, .number?: break
        default: throw JSONRPCFailure(id: .null, error: .invalidRequest("id must be a string or a number"))
        }
        var params = [String: JSONValue]()
        switch object["params"] {
        case nil, .null?: break
        case .object(let members)?: params = members
        default: throw JSONRPCFailure(id: id ?? .null, error: .invalidParams("params must be an object"))
        }
        switch object["method"] {
        case .string(let method)?: return JSONRPCMessage(id: id, method: method, params: params)
        case nil where object["result"] != nil || object["error"] != nil: return JSONRPCMessage(id: nil, method: nil, params: [:])
        default: throw JSONRPCFailure(id: id ?? .null, error: .invalidRequest("method must be a string"))
        }
    }
}

/// A message that gets an error answer, with the id to answer it under.
struct JSONRPCFailure: Error, Sendable {
    let id: JSONValue
    let error: JSONRPCError
}

/// JSON-RPC answers as HTTP responses (`application/json`, one message).
enum JSONRPCAnswer {
    private struct Success<Result: Encodable>: Encodable {
        let jsonrpc = "2.0"
        let id: JSONValue
        let result: Result
    }

    private struct Failure: Encodable {
        let jsonrpc = "2.0"
        let id: JSONValue
        let error: JSONRPCError
    }

    static func result(_ result: some Encodable, id: JSONValue) throws -> Response {
        json(try ResponseJSON.encoder.encode(Success(id: id, result: result)))
    }

    /// A message the transport could not take (not JSON, not JSON-RPC) is answered 400, a
    /// request that failed 200, both with the JSON-RPC error.
    static func failure(_ failure: JSONRPCFailure, status: HTTPResponse.Status = .ok) -> Response {
        json((try? ResponseJSON.encoder.encode(Failure(id: failure.id, error: failure.error))) ?? Data(), status: status)
    }

    private static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
