import Auth
import Foundation

/// One tool of the MCP server: what `tools/list` shows (name, description, JSON Schemas)
/// and the REST call it stands for (`rule`: the same scopes, rate-limit class and quotas).
struct MCPTool: Sendable {
    let name: String
    let title: String
    let description: String
    /// JSON Schema of the arguments, as JSON text.
    let inputSchema: String
    /// JSON Schema of `structuredContent`, as JSON text.
    let outputSchema: String
    let rule: AccessRule
    let run: @Sendable (JSONBody, Identity) async throws -> MCPToolOutput

    /// How `tools/list` shows the tool.
    var listing: Listing {
        Listing(name: name, title: title, description: description,
                inputSchema: Self.schema(inputSchema), outputSchema: Self.schema(outputSchema))
    }

    struct Listing: Encodable, Sendable {
        let name: String
        let title: String
        let description: String
        let inputSchema: JSONValue
        let outputSchema: JSONValue
    }

    private static func schema(_ text: String) -> JSONValue {
        // The schemas are literals of this module; a broken one is a programming error.
        try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}

/// What a tool answers: readable text for the model, and the same answer as the REST view.
struct MCPToolOutput: Sendable {
    let text: String
    let structured: any Encodable & Sendable
}

/// A `tools/call` result: `content` (text), `structuredContent`, `isError`.
struct MCPToolResult: Encodable, Sendable {
    struct Text: Encodable, Sendable {
        let type = "text"
        let text: String
    }

    let content: [Text]
    let structuredContent: (any Encodable & Sendable)?
    let isError: Bool

    init(_ output: MCPToolOutput) {
        content = [Text(text: output.text)]
        structuredContent = output.structured
        isError = false
    }

    /// A tool that ran and failed (bad arguments, not found, refused by a limit): the model
    /// reads why, as MCP asks, rather than a protocol error.
    init(failure: APIError) {
        // A REST caller reads when to retry from `Retry-After`; the model reads it here.
        content = [Text(text: failure.message + (failure.retryAfter.map { " (retry after \($0) s)" } ?? ""))]
        structuredContent = nil
        isError = true
    }

    enum CodingKeys: String, CodingKey {
        case content, structuredContent, isError
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(content, forKey: .content)
        if let structuredContent {
            try structuredContent.encode(to: container.superEncoder(forKey: .structuredContent))
        }
        try container.encode(isError, forKey: .isError)
    }
}
