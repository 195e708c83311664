import Auth
import Core
import Foundation

/// The tools of the MCP server. Each reads its arguments with the REST API's own readers and
/// calls what the REST route calls, so a tool validates, stores and answers as its route does.
struct MCPTools: Sendable {
    let memories: MemoryRoutes
    let context: ContextRoutes
    let qa: QARoutes

    var all: [MCPTool] {
        [addMemory, searchMemories, listMemories, deleteMemory, addContext, searchContext, ask]
    }

    var addMemory: MCPTool {
        MCPTool(
            name: "add_memory", title: "Add a memory",
            description: "Stores a durable fact about the user (a preference, a plan, a detail worth remembering). It is found by its words at once and by meaning moments later.",
            inputSchema: #"{"type":"object","properties":{"text":{"type":"string","description":"the fact, in one or two sentences"},"category":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"metadata":{"type":"object"}},"required":["text"]}"#,
            outputSchema: #"{"type":"object","properties":{"id":{"type":"string"},"text":{"type":"string"}},"required":["id","text"]}"#,
            rule: .needs(.memoriesWrite)
        ) { [memories] arguments, caller in
            let created = try await memories.create(try MemoryRequests.new(arguments, limits: memories.metadataLimits), userID: caller.userID)
            return MCPToolOutput(text: "Stored memory \(created.base.id): \(created.base.text)", structured: created)
        }
    }

    var searchMemories: MCPTool {
        MCPTool(
            name: "search_memories", title: "Search memories",
            description: "Finds the user's memories about a topic, by meaning and by words, best first.",
            inputSchema: #"{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100}},"required":["query"]}"#,
            outputSchema: #"{"type":"object","properties":{"results":{"type":"array"},"query":{"type":"string"}},"required":["results"]}"#,
            rule: .needs(.memoriesRead, class: .search)
        ) { [memories] arguments, caller in
            let found = try await memories.search(try MemoryRequests.search(arguments), userID: caller.userID)
            let lines = found.results.enumerated().map { "\($0.offset + 1). \($0.element.base.text) (id \($0.element.base.id))" }
            return MCPToolOutput(text: Self.listText("memories", lines), structured: found)
        }
    }

    var listMemories: MCPTool {
        MCPTool(
            name: "list_memories", title: "List memories",
            description: "Lists the user's memories, newest first, optionally filtered by category, emotion or tags.",
            inputSchema: #"{"type":"object","properties":{"category":{"type":"string"},"emotion":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"limit":{"type":"integer","minimum":0,"maximum":100},"skip":{"type":"integer","minimum":0}}}"#,
            outputSchema: #"{"type":"object","properties":{"items":{"type":"array"},"total":{"type":"integer"}},"required":["items","total"]}"#,
            rule: .needs(.memoriesRead)
        ) { [memories] arguments, caller in
            var filter = MemoryFilter()
            filter.category = try MemoryRequests.label(arguments, "category")
            filter.emotion = try MemoryRequests.label(arguments, "emotion")
            filter.tags = try MemoryRequests.tags(arguments) ?? []
            filter.limit = try arguments.integer("limit", in: 0...MemoryRequests.maxLimit) ?? 20
            filter.skip = try arguments.integer("skip", in: 0...10_000_000) ?? 0
            let page = try await memories.list(filter, userID: caller.userID)
            let lines = page.items.enumerated().map { "\(filter.skip + $0.offset + 1). \($0.element.text) (id \($0.element.id))" }
            return MCPToolOutput(text: Self.listText("memories", lines) + " (\(page.total) in all)", structured: page)
        }
    }

    var deleteMemory: MCPTool {
        MCPTool(
            name: "delete_memory", title: "Delete a memory",
            description: "Deletes one of the user's memories by id (it stays in the memory's history).",
            inputSchema: #"{"type":"object","properties":{"id":{"type":"string","format":"uuid"}},"required":["id"]}"#,
            outputSchema: #"{"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}},"required":["id","deleted"]}"#,
            rule: .needs(.memoriesWrite)
        ) { [memories] arguments, caller in
            guard let text = try arguments.string("id", maxLength: 64), let id = UUID(uuidString: text) else {
                throw APIError.validation("id must be a memory's UUID", field: "id")
            }
            let deleted = try await memories.delete(id, userID: caller.userID)
            return MCPToolOutput(text: "Deleted memory \(deleted.id)", structured: deleted)
        }
    }

    var addContext: MCPTool {
        MCPTool(
            name: "add_context", title: "Add context",
            description: "Adds a document (notes, a page, a conversation) to the user's context: chunked at once, searchable by its words at once and by meaning once embedded.",
            inputSchema: #"{"type":"object","properties":{"content":{"type":"string"},"source":{"type":"string","description":"where it comes from, e.g. a URL or an app"},"context_type":{"type":"string","enum":["resource","conversation","instruction"]},"metadata":{"type":"object"}},"required":["content","source"]}"#,
            outputSchema: #"{"type":"object","properties":{"message":{"type":"string"},"documents":{"type":"array"},"count":{"type":"integer"}},"required":["documents"]}"#,
            rule: .needs(.contextWrite, quotas: [.embeddedChunks, .storedBytes])
        ) { [context] arguments, caller in
            var body: [String: JSONValue] = ["documents": .array([.object(["content": arguments.value("content") ?? .null])])]
            for field in ["source", "context_type", "metadata"] where arguments.has(field) { body[field] = arguments.value(field) }
            let added = try await context.add(try ContextRequests.add(JSONBody(object: body), caller: caller, limits: context.metadataLimits))
            return MCPToolOutput(text: added.message, structured: added)
        }
    }

    var searchContext: MCPTool {
        MCPTool(
            name: "search_context", title: "Search context",
            description: "Finds passages of the user's context (their own and their organization's) about a topic, best first.",
            inputSchema: #"{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100}},"required":["query"]}"#,
            outputSchema: #"{"type":"object","properties":{"results":{"type":"array"}},"required":["results"]}"#,
            rule: .needs(.contextRead, class: .search)
        ) { [context] arguments, caller in
            // The Context API makes the caller choose the similarity window; a tool asks for all of it.
            var body: [String: JSONValue] = [
                "query": arguments.value("query") ?? .null, "similarity_threshold": .number(1), "minimum_similarity_threshold": .number(0),
            ]
            if arguments.has("limit") { body["limit"] = arguments.value("limit") }
            let found = try await context.search(try ContextRequests.search(JSONBody(object: body), caller: caller, limits: context.metadataLimits))
            let lines = found.results.enumerated().map { "\($0.offset + 1). \($0.element.contextData) (from \($0.element.source))" }
            return MCPToolOutput(text: Self.listText("passages", lines), structured: found)
        }
    }

    var ask: MCPTool {
        MCPTool(
            name: "ask", title: "Ask",
            description: "Answers a question from the user's memories and context, with the sources it rests on.",
            inputSchema: #"{"type":"object","properties":{"question":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":20}},"required":["question"]}"#,
            outputSchema: #"{"type":"object","properties":{"answer":{"type":"string"},"citations":{"type":"array"}},"required":["answer","citations"]}"#,
            rule: .needs(.qa, class: .ai)
        ) { [qa] arguments, caller in
            guard let question = try arguments.string("question", maxLength: 2000), !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.validation("question must be a non-empty string", field: "question")
            }
            let answer = try await qa.ask(question, limit: try arguments.integer("limit", in: 1...20) ?? 5, caller: caller)
            return MCPToolOutput(text: answer.answer, structured: answer)
        }
    }

    private static func listText(_ what: String, _ lines: [String]) -> String {
        lines.isEmpty ? "No \(what) found." : "Found \(lines.count) \(what):\n" + lines.joined(separator: "\n")
    }
}
