/// OpenAPI operations of the Context0 API (memories, chat, Q&A), in its envelope.
enum Context0Operations {
    typealias Doc = OpenAPIDocument

    static func error(_ description: String) -> [String: Any] {
        Doc.json(description, ["$ref": "#/components/schemas/Error"])
    }

    static func ok(_ description: String) -> [String: Any] {
        Doc.json(description, ["$ref": "#/components/schemas/Envelope"])
    }

    /// The answers every authenticated Context0 operation may give, plus its successes.
    static func responses(_ successes: [String: String], notFound: Bool = false, body: Bool = true) -> [String: Any] {
        var responses: [String: Any] = [
            "401": error("missing or invalid credentials (AUTH_REQUIRED, INVALID_TOKEN)"),
            "403": error("the token lacks the scope (INSUFFICIENT_PERMISSIONS), or the user is disabled (USER_DISABLED)"),
            "422": error("a field is invalid (VALIDATION_ERROR, with field)"),
            "429": error("over the hourly rate limit of the route's class, or a used-up quota (RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED), with Retry-After"),
            "500": error("internal error (INTERNAL_ERROR)"),
            "503": error("the database cannot serve now (SERVICE_UNAVAILABLE), with Retry-After"),
        ]
        if body { responses["400"] = error("the body is not a readable JSON object"); responses["413"] = error("the body is over 10 MiB") }
        if notFound { responses["404"] = error("no such resource of the caller's (RESOURCE_NOT_FOUND)") }
        for (status, description) in successes { responses[status] = ok(description) }
        return responses
    }

    /// A memory change: at least one of the fields that change something.
    static var change: [String: Any] {
        // A memory's source is where it came from: no change sets it.
        var fields = memoryFields.merging(["reason": ["type": "string", "maxLength": 500]]) { $1 }
        fields["source"] = nil
        var schema = Doc.requestObject(fields)
        schema["anyOf"] = ["text", "category", "emotion", "tags", "metadata"].map { ["required": [$0], "properties": [$0: ["not": ["type": "null"]]]] }
        return ["required": true, "content": ["application/json": ["schema": schema]]]
    }

    static func body(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        ["required": true, "content": ["application/json": ["schema": Doc.requestObject(properties, required: required)]]]
    }

    static var memoryFields: [String: Any] {
        [
            "text": ["type": "string", "minLength": 1, "maxLength": 10000, "pattern": "\\S"],
            "category": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$", "description": "A word (letters, digits, _ or -); inferred after embedding when omitted."],
            "emotion": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$", "description": "A word (letters, digits, _ or -); inferred after embedding when omitted."],
            "tags": ["type": "array", "items": ["type": "string", "minLength": 1, "maxLength": 64], "maxItems": 50],
            "metadata": ["type": "object"],
            "source": ["type": "string", "enum": ["manual", "chat", "context"], "default": "manual"],
        ]
    }

    static func query(_ name: String, _ schema: [String: Any], _ description: String = "") -> [String: Any] {
        ["name": name, "in": "query", "schema": schema, "description": description]
    }

    static var paging: [[String: Any]] {
        [
            query("limit", ["type": "integer", "minimum": 0, "maximum": 100, "default": 20], "0 answers only the total"),
            query("skip", ["type": "integer", "minimum": 0, "maximum": 10_000_000, "default": 0]),
        ]
    }

    static var idParameter: [[String: Any]] {
        [["name": "id", "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]]
    }

    static var paths: [String: Any] {
        [
            "/api/v1/memories": [
                "post": ["summary": "Create a memory (memories:write); enrichment runs in a job", "requestBody": body(memoryFields, required: ["text"]),
                         "responses": responses(["201": "the memory, enrichment pending, with job_id"])],
                "get": ["summary": "List memories with filters, sorting and pagination (memories:read)",
                        "parameters": paging + [
                            query("category", Doc.string), query("emotion", Doc.string), query("source", ["type": "string", "enum": ["manual", "chat", "context"]]),
                            query("tags", Doc.string, "comma-separated; all must match"),
                            query("start_date", ["type": "string", "format": "date"], "YYYY-MM-DD (an ISO 8601 time is taken too)"), query("end_date", ["type": "string", "format": "date"], "inclusive day (or an exclusive ISO 8601 time)"),
                            query("sort_by", ["type": "string", "enum": ["created_at", "updated_at", "category", "emotion"]]),
                            query("order", ["type": "string", "pattern": "^([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])$"], "asc or desc, in any case; desc by default"),
                        ],
                        "responses": responses(["200": "{items, total, limit, skip}"], body: false)],
            ],
            "/api/v1/memories/search": ["post": [
                "summary": "Semantic + full-text memory search (memories:read)",
                "requestBody": body(["query": ["type": "string", "minLength": 1, "maxLength": 2000, "pattern": "\\S"], "limit": ["type": "integer", "minimum": 1, "maximum": 100],
                                     "threshold": ["type": "number", "minimum": 0, "maximum": 1, "default": 0.3],
                                     "category": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"], "emotion": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"], "tags": ["type": "array", "maxItems": 50, "items": ["type": "string", "minLength": 1, "maxLength": 64]]], required: ["query"]),
                "responses": responses(["200": "results with similarity and score, best first"]),
            ]],
            "/api/v1/memories/batch": ["post": [
                "summary": "Up to 100 create/update/delete operations, a result each (memories:write)",
                "requestBody": body(["operations": ["type": "array", "minItems": 1, "maxItems": 100, "items": ["type": "object"]]], required: ["operations"]),
                "responses": responses(["200": "results per operation"]),
            ]],
            "/api/v1/memories/{id}": [
                "get": ["summary": "A memory with its history (memories:read)", "parameters": idParameter,
                        "responses": responses(["200": "the memory and its history"], notFound: true, body: false)],
                "put": ["summary": "Change a memory; the previous version is kept (memories:write)", "parameters": idParameter,
                        "requestBody": change,
                        "responses": responses(["200": "the updated memory"], notFound: true)],
                "delete": ["summary": "Delete a memory (kept in history) (memories:write)", "parameters": idParameter,
                           "responses": responses(["200": "deleted"], notFound: true, body: false)],
            ],
            "/api/v1/chat/sessions": [
                "post": ["summary": "Create a chat session (chat)",
                         "requestBody": body(["title": ["type": ["string", "null"], "maxLength": 200], "auto_extract": ["type": "boolean", "default": true], "metadata": ["type": "object"]]),
                         "responses": responses(["201": "the session"])],
                "get": ["summary": "The caller's sessions (chat)", "parameters": paging, "responses": responses(["200": "{items, total, limit, skip}"], body: false)],
            ],
            "/api/v1/chat/sessions/{id}/messages": [
                "get": ["summary": "A session's messages (chat)", "parameters": idParameter + paging,
                        "responses": responses(["200": "{items, total, limit, skip}"], notFound: true, body: false)],
                "post": ["summary": "Send a message: the reply uses the user's memories and context (chat)", "parameters": idParameter,
                         "requestBody": body(["content": ["type": "string", "minLength": 1, "maxLength": 20000]], required: ["content"]),
                         "responses": responses(["201": "both messages, memories_used, context_used, mode (llm|offline)"], notFound: true)],
            ],
            "/api/v1/chat/sessions/{id}/extract-memories": ["post": [
                "summary": "Queue memory extraction from the session (memories:write)", "parameters": idParameter,
                "responses": responses(["202": "{job_id}"], notFound: true, body: false),
            ]],
            "/api/v1/qa/ask": ["post": [
                "summary": "Answer from the user's memories and context, with citations (qa)",
                "requestBody": body(["question": ["type": "string", "minLength": 1, "maxLength": 2000], "limit": ["type": ["integer", "null"], "minimum": 1, "maximum": 20]],
                                    required: ["question"]),
                "responses": responses(["200": "answer, mode (llm|offline), citations"]),
            ]],
            "/api/v1/qa/history": ["get": [
                "summary": "The caller's questions and answers (qa)", "parameters": paging,
                "responses": responses(["200": "{items, total, limit, skip}"], body: false),
            ]],
        ]
    }
}
