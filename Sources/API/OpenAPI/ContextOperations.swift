/// OpenAPI operations of the Context API.
enum ContextOperations {
    typealias Doc = OpenAPIDocument

    static var errors: [String: Any] {
        [
            "400": Doc.contextError("invalid or missing fields"),
            "401": Doc.contextError("missing, malformed, expired or revoked credentials"),
            "403": Doc.contextError("the token lacks the scope, or names another user or organization"),
            "413": Doc.contextError("the body is over 10 MiB"),
            "429": Doc.contextError("over the hourly rate limit of the route's class, or a used-up quota (RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED), with Retry-After"),
            "500": Doc.contextError("internal error"),
            "503": Doc.contextError("the database cannot serve now (SERVICE_UNAVAILABLE), with Retry-After"),
        ]
    }

    static func responses(_ success: [String: Any]) -> [String: Any] {
        errors.merging(success) { $1 }
    }

    static func body(_ schema: [String: Any]) -> [String: Any] {
        ["required": true, "content": ["application/json": ["schema": schema]]]
    }

    static var tenantFields: [String: Any] {
        [
            "user_id": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Must be the caller unless it has the admin scope."],
            "organization_id": ["type": ["string", "null"], "minLength": 1, "maxLength": 256, "description": "The caller's organization: the context is shared with it. Omit for private context."],
        ]
    }

    static var document: [String: Any] {
        Doc.requestObject([
            "content": ["type": "string", "minLength": 1, "maxLength": 2_000_000, "pattern": "\\S"],
            "fileName": ["type": "string", "maxLength": 1000], "fileType": ["type": "string", "maxLength": 200],
            "fileSize": ["type": "integer", "minimum": 0, "maximum": ContextRequests.maxFileSize], "lastModified": ["type": "string", "maxLength": 100],
        ], required: ["content"])
    }

    static var add: [String: Any] {
        [
            "summary": "Add context: stored and queued for chunking and embedding (scope context:write)",
            "requestBody": body(Doc.requestObject(tenantFields.merging([
                "documents": ["type": "array", "items": document, "minItems": 1, "maxItems": 100],
                "source": ["type": "string", "maxLength": 1000],
                "context_type": ["type": "string", "enum": ["resource", "conversation", "instruction"], "default": "resource"],
                "scope": ["type": "string", "enum": ["internal", "external"], "default": "internal"],
                "metadata": ["type": "object", "default": [String: Any]()],
                "chained": Doc.flag.merging(["default": false]) { $1 },
            ]) { $1 }, required: ["documents"])),
            "responses": responses(["201": Doc.json("stored; indexing runs in the background", Doc.object([
                "message": Doc.string, "count": ["type": "integer"],
                "documents": ["type": "array", "items": Doc.object([
                    "id": Doc.string, "duplicate": ["type": "boolean"], "job_id": ["type": ["integer", "null"]], "state": Doc.string,
                ])],
            ]))]),
        ]
    }

    static var search: [String: Any] {
        [
            "summary": "Hybrid (vector + full-text) search of the caller's context (scope context:read)",
            "requestBody": body(Doc.requestObject(tenantFields.merging([
                "query": ["type": "string", "minLength": 1, "maxLength": 2000, "pattern": "\\S"],
                "similarity_threshold": ["type": "number", "minimum": 0, "maximum": 1, "description": "Highest cosine similarity kept."],
                "minimum_similarity_threshold": ["type": "number", "minimum": 0, "maximum": 1, "description": "Lowest cosine similarity kept."],
                "scope": ["type": "string", "enum": ["internal", "external"], "default": "internal"],
                "metadata": ["type": "object", "description": "Only documents whose metadata contains this object."],
                "limit": ["type": "integer", "minimum": 1, "maximum": 100, "default": 10],
            ]) { $1 }, required: ["query", "similarity_threshold", "minimum_similarity_threshold"])),
            "responses": responses(["202": Doc.json("results, best first", Doc.object([
                "results": ["type": "array", "items": Doc.object([
                    "contextId": Doc.string, "contextData": Doc.string, "documentId": Doc.string, "source": Doc.string,
                    "similarity": ["type": "number"], "score": ["type": "number"], "metadata": ["type": "object"],
                ], required: ["contextId", "contextData"])],
            ], required: ["results"]))]),
        ]
    }

    static var delete: [String: Any] {
        [
            "summary": "Delete context (scope context:write): by_doc deletes the documents whose source or file name equals `source`; by_id deletes the document or context node whose id is `source`",
            "requestBody": body(Doc.requestObject(tenantFields.merging([
                "source": ["type": "string", "minLength": 1, "maxLength": 1000, "description": "With by_id, a document or context id (a UUID)."],
                "by_doc": Doc.flag.merging(["default": true]) { $1 }, "by_id": Doc.flag.merging(["default": false]) { $1 },
            ]) { $1 }, required: ["source"])),
            "responses": responses(["204": ["description": "deleted (also when nothing matched)"]]),
        ]
    }

    static var paging: [[String: Any]] {
        [
            ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500, "default": 100]],
            ["name": "offset", "in": "query", "schema": ["type": "integer", "minimum": 0, "maximum": 10_000_000, "default": 0]],
        ]
    }

    static var view: [String: Any] {
        [
            "summary": "The caller's context nodes, every field of the spec (scope context:read)",
            "parameters": paging + [["name": "source", "in": "query", "schema": Doc.string]],
            "responses": responses(["200": Doc.json("context nodes", Doc.object([
                "context": ["type": "array", "items": ["type": "object"]], "total": ["type": "integer"],
                "limit": ["type": "integer"], "offset": ["type": "integer"],
            ], required: ["context"]))]),
        ]
    }

    static var viewDocuments: [String: Any] {
        [
            "summary": "The caller's documents with their indexing state (scope context:read)",
            "parameters": paging,
            "responses": responses([
                "200": Doc.json("documents", Doc.object([
                    "documents": ["type": "array", "items": ["type": "object"]], "total": ["type": "integer"],
                ], required: ["documents"])),
                "402": Doc.contextError("the user is disabled"),
            ]),
        ]
    }
}
