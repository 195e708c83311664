import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix

/// The Model Context Protocol server at `/mcp` (Streamable HTTP, stateless): each POST carries
/// one JSON-RPC message and is answered with one `application/json` message; no session, no
/// server-sent stream (GET and DELETE answer 405). The bearer token (JWT or API key) is checked
/// before any message is read; every tool acts as the token's user, with its scopes, and is
/// admitted and metered like the REST call it stands for (`MCPTool.rule`).
struct MCPRoutes: Sendable {
    typealias Context = Context0RequestContext

    /// Newest first: an unknown version asked for gets the newest.
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]
    static let instructions = """
        Context0 remembers for this user: add_memory stores facts, search_memories and list_memories \
        recall them, add_context and search_context hold documents, ask answers from both with sources.
        """

    let tools: [String: MCPTool]
    let listings: [MCPTool.Listing]
    let admission: Admission

    init(tools: [MCPTool], admission: Admission) {
        self.tools = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
        listings = tools.map(\.listing)
        self.admission = admission
    }

    func add(to router: Router<Context>, authenticator: Authenticator) {
        let group = router.group("mcp")
            .add(middleware: ErrorMiddleware(family: .context0))
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        group.post(use: post)
        group.get(use: notAllowed)
        group.delete(use: notAllowed)
    }

    @Sendable func post(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.caller()
        if let version = request.headers[.mcpProtocolVersion], !Self.protocolVersions.contains(version) {
            return JSONRPCAnswer.failure(JSONRPCFailure(id: .null, error: .invalidRequest("unsupported MCP-Protocol-Version \(version)")), status: .badRequest)
        }
        var request = request
        let data = Data(try await request.collectBody(upTo: JSONBody.defaultLimit).readableBytesView)
        let message: JSONRPCMessage
        do {
            message = data.count >= JSONBody.offloadBytes
                ? try await NIOThreadPool.singleton.runIfActive { try JSONRPCMessage.read(data) }
                : try JSONRPCMessage.read(data)
        } catch let failure as JSONRPCFailure {
            return JSONRPCAnswer.failure(failure, status: .badRequest)
        }
        // Notifications (`notifications/initialized`, …) and the client's responses get no answer.
        guard let method = message.method, let id = message.id else { return Response(status: .accepted) }
        do {
            switch method {
            case "initialize": return try JSONRPCAnswer.result(Self.initialize(message.params), id: id)
            case "ping": return try JSONRPCAnswer.result([String: String](), id: id)
            case "tools/list": return try JSONRPCAnswer.result(["tools": listings], id: id)
            case "tools/call": return try JSONRPCAnswer.result(try await call(message.params, identity, logger: context.logger), id: id)
            default: throw JSONRPCError.methodNotFound(method)
            }
        } catch let error as JSONRPCError {
            return JSONRPCAnswer.failure(JSONRPCFailure(id: id, error: error))
        }
    }

    @Sendable func notAllowed(_ request: Request, context: Context) async throws -> Response {
        Response(status: .methodNotAllowed, headers: [.allow: "POST"])
    }

    struct InitializeResult: Encodable, Sendable {
        struct Capabilities: Encodable, Sendable {
            let tools = ["listChanged": false]
        }

        let protocolVersion: String
        let capabilities = Capabilities()
        let serverInfo = ["name": "context0", "title": "Context0", "version": "1.0.0"]
        let instructions = MCPRoutes.instructions
    }

    static func initialize(_ params: [String: JSONValue]) -> InitializeResult {
        let asked = params["protocolVersion"]?.stringValue ?? ""
        return InitializeResult(protocolVersion: protocolVersions.contains(asked) ? asked : protocolVersions[0])
    }

    /// Runs one tool as the caller: admitted in the tool's rate-limit class, its scopes
    /// checked, a server failure refunded. Whatever goes wrong is the tool's error result.
    func call(_ params: [String: JSONValue], _ identity: Identity, logger: Logger) async throws(JSONRPCError) -> MCPToolResult {
        guard let name = params["name"]?.stringValue, let tool = tools[name] else {
            throw JSONRPCError.invalidParams("unknown tool \(params["name"]?.stringValue ?? "(no name)")")
        }
        var arguments = [String: JSONValue]()
        switch params["arguments"] {
        case nil, .null?: break
        case .object(let members)?: arguments = members
        default: throw JSONRPCError.invalidParams("arguments must be an object")
        }
        var admitted: Admission.Decision?
        do {
            let decision = try await admission.admit(identity, tool.rule)
            if let refusal = decision.refusal { return MCPToolResult(failure: refusal) }
            admitted = decision
            if let missing = tool.rule.missingScope(of: identity) {
                return MCPToolResult(failure: .forbidden("this token lacks the \(missing) scope"))
            }
            return MCPToolResult(try await tool.run(JSONBody(object: arguments), identity))
        } catch {
            let failure = ErrorMiddleware<Context>.apiError(for: error)
            if let admitted, failure.status.code >= 500 {
                logger.error("MCP tool failed", metadata: ["tool": "\(name)", "error": "\(error)"])
                admission.refundIfFailed(failure.status, identity, tool.rule, admitted)
            }
            return MCPToolResult(failure: failure)
        }
    }
}

extension HTTPField.Name {
    static let mcpProtocolVersion = Self("MCP-Protocol-Version")!
}
