import Foundation
import TestSupport
import Testing

/// The MCP server at `/mcp`, spoken to as JSON-RPC over HTTP (the official Python client is
/// tested against real processes in Tests/Agents): the handshake, the tools, errors, tenancy,
/// and that a tool is admitted in the rate-limit class of the REST call it stands for.
@Suite struct MCPServerTests {
    static func rpc(_ server: TestServer, token: String?, _ method: String, _ params: [String: Any] = [:], id: Int? = 1,
                    headers: [String: String] = [:]) async throws -> HTTPAnswer {
        var message: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params]
        if let id { message["id"] = id }
        return try await server.send("POST", "/mcp", token: token, body: .json(message), headers: headers, prefix: "")
    }

    static func call(_ server: TestServer, token: String, _ tool: String, _ arguments: [String: Any]) async throws -> JSON {
        let answer = try await rpc(server, token: token, "tools/call", ["name": tool, "arguments": arguments])
        #expect(answer.status == 200, "\(answer)")
        return try #require(answer.json?["result"], "\(answer)")
    }

    @Test func handshakeToolsAndErrors() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let token = server.newToken("mcp")
            let unauthenticated = try await Self.rpc(server, token: nil, "initialize")
            #expect(unauthenticated.status == 401, "\(unauthenticated)")
            for version in ["2025-06-18", "2025-11-25"] {
                let hello = try await Self.rpc(server, token: token, "initialize", [
                    "protocolVersion": version, "capabilities": [String: Any](), "clientInfo": ["name": "test", "version": "1"],
                ])
                #expect(hello.json?["result"]?["protocolVersion"]?.string == version, "\(hello)")
                #expect(hello.json?["result"]?["capabilities"]?["tools"] != nil, "\(hello)")
            }
            let newest = try await Self.rpc(server, token: token, "initialize", ["protocolVersion": "1999-01-01"])
            #expect(newest.json?["result"]?["protocolVersion"]?.string == "2025-11-25", "\(newest)")
            let initialized = try await Self.rpc(server, token: token, "notifications/initialized", id: nil)
            #expect(initialized.status == 202, "\(initialized)")

            let list = try await Self.rpc(server, token: token, "tools/list", headers: ["MCP-Protocol-Version": "2025-06-18"])
            let names = Set(list.json?["result"]?["tools"]?.array?.compactMap { $0["name"]?.string } ?? [])
            #expect(names == ["add_memory", "search_memories", "list_memories", "delete_memory", "add_context", "search_context", "ask"], "\(list)")
            #expect(list.json?["result"]?["tools"]?[0]?["inputSchema"]?["type"]?.string == "object", "\(list)")

            let unknown = try await Self.rpc(server, token: token, "resources/list")
            #expect(unknown.json?["error"]?["code"]?.int == -32601, "\(unknown)")
            let notJSON = try await server.send("POST", "/mcp", token: token, body: .raw(Data("{".utf8)), prefix: "")
            #expect(notJSON.status == 400 && notJSON.json?["error"]?["code"]?.int == -32700, "\(notJSON)")
            let badVersion = try await Self.rpc(server, token: token, "tools/list", headers: ["MCP-Protocol-Version": "bogus"])
            #expect(badVersion.status == 400, "\(badVersion)")
            let noStream = try await server.send("GET", "/mcp", token: token, prefix: "")
            #expect(noStream.status == 405, "\(noStream)")
            let badArguments = try await Self.call(server, token: token, "add_memory", ["text": ""])
            #expect(badArguments["isError"]?.bool == true, "\(badArguments)")
            let unknownTool = try await Self.rpc(server, token: token, "tools/call", ["name": "nope", "arguments": [String: Any]()])
            #expect(unknownTool.json?["error"]?["code"]?.int == -32602, "\(unknownTool)")
        }
    }

    @Test func toolsActAsTheTokensUserAndNoOneElse() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let alice = server.newToken("mcp-alice")
            let bob = server.newToken("mcp-bob")
            let added = try await Self.call(server, token: alice, "add_memory", ["text": "My favourite tea is oolong from Taiwan."])
            #expect(added["isError"]?.bool == false && added["structuredContent"]?["text"]?.string?.contains("oolong") == true, "\(added)")
            let memoryID = try #require(added["structuredContent"]?["id"]?.string)
            // Found by its words at once, without any worker.
            let found = try await Self.call(server, token: alice, "search_memories", ["query": "oolong"])
            #expect(found["structuredContent"]?["results"]?[0]?["id"]?.string == memoryID, "\(found)")
            #expect(found["content"]?[0]?["text"]?.string?.contains("oolong") == true, "\(found)")
            let listed = try await Self.call(server, token: alice, "list_memories", [:])
            #expect(listed["structuredContent"]?["total"]?.int == 1, "\(listed)")

            let context = try await Self.call(server, token: alice, "add_context", ["content": "The boathouse key hangs behind the blue door.", "source": "notes"])
            #expect(context["isError"]?.bool == false, "\(context)")
            let passage = try await Self.call(server, token: alice, "search_context", ["query": "boathouse"])
            #expect(passage["structuredContent"]?["results"]?[0]?["contextData"]?.string?.contains("blue door") == true, "\(passage)")
            let answer = try await Self.call(server, token: alice, "ask", ["question": "What is my favourite tea?"])
            #expect(answer["isError"]?.bool == false && answer["structuredContent"]?["citations"]?.array?.isEmpty == false, "\(answer)")

            // Bob sees none of it and cannot delete it.
            let bobs = try await Self.call(server, token: bob, "search_memories", ["query": "oolong"])
            #expect(bobs["structuredContent"]?["results"]?.array?.isEmpty == true, "\(bobs)")
            let bobsContext = try await Self.call(server, token: bob, "search_context", ["query": "boathouse"])
            #expect(bobsContext["structuredContent"]?["results"]?.array?.isEmpty == true, "\(bobsContext)")
            let bobDeletes = try await Self.call(server, token: bob, "delete_memory", ["id": memoryID])
            #expect(bobDeletes["isError"]?.bool == true, "\(bobDeletes)")
            let deleted = try await Self.call(server, token: alice, "delete_memory", ["id": memoryID])
            #expect(deleted["structuredContent"]?["deleted"]?.bool == true, "\(deleted)")
        }
    }

    @Test func aToolIsAdmittedAndScopedLikeItsRESTCall() async throws {
        try await TestServer.run(["RATE_LIMITS": "search=1"], workerQueues: nil) { server in
            let user = TestServer.newUser("mcp-limits")
            let token = server.token(user)
            let first = try await Self.call(server, token: token, "search_memories", ["query": "anything"])
            #expect(first["isError"]?.bool == false, "\(first)")
            let second = try await Self.call(server, token: token, "search_memories", ["query": "anything"])
            #expect(second["isError"]?.bool == true && second["content"]?[0]?["text"]?.string?.contains("rate limit") == true, "\(second)")
            #expect(second["content"]?[0]?["text"]?.string?.contains("retry after") == true, "\(second)")
            // A standard-class tool is not in the search class's window.
            let add = try await Self.call(server, token: token, "add_memory", ["text": "Standard calls still go through."])
            #expect(add["isError"]?.bool == false, "\(add)")
            let readOnly = server.token(user, scopes: ["memories:read"])
            let refused = try await Self.call(server, token: readOnly, "add_memory", ["text": "not allowed"])
            #expect(refused["isError"]?.bool == true && refused["content"]?[0]?["text"]?.string?.contains("memories:write") == true, "\(refused)")
        }
    }
}
