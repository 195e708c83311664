import Foundation

/// The OpenAPI 3.1 description of what this server really serves, at `/api/v1/openapi.json`.
/// `OpenAPIRouteTests` holds it to the live routes: every operation here must exist and
/// answer as described.
enum OpenAPIDocument {
    static func json() -> [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Context0",
                "version": "1.0.0",
                "description": "Context and memory server: the Context API (spec/context-api.md) and the Context0 API (spec/context0-api.md).",
            ],
            "servers": [["url": "/"]],
            "components": components,
            "security": [["bearer": [String]()]],
            "paths": Context0Operations.paths.merging(UsageOperations.paths) { $1 }.merging([
                "/api/v1/ping": ["get": ping],
                "/api/v1/ready": ["get": ready],
                "/api/v1/openapi.json": ["get": openAPI],
                "/api/v1/context/add": ["post": ContextOperations.add],
                "/api/v1/context/search": ["post": ContextOperations.search],
                "/api/v1/context/delete": ["post": ContextOperations.delete],
                "/api/v1/context/view": ["get": ContextOperations.view],
                "/api/v1/context/view/docs": ["get": ContextOperations.viewDocuments],
                "/api/v1/jobs/{id}": ["get": job],
            ]) { $1 },
        ]
    }

    static var components: [String: Any] {
        [
            "securitySchemes": [
                "bearer": ["type": "http", "scheme": "bearer", "description": "A JWT (HS256, JWT_SECRET) or an API key from `context0-admin keys create`."],
            ],
            "schemas": [
                "ContextError": object(["response": string, "error": string], required: ["response", "error"]),
                "Envelope": object(["success": ["type": "boolean"], "message": string, "data": [String: Any]()], required: ["success", "message"]),
            "Error": object([
                "success": ["type": "boolean", "const": false], "message": string,
                "error": object(["code": string, "details": string, "field": string], required: ["code", "details"]),
            ], required: ["success", "message", "error"]),
            ],
        ]
    }

    static var ping: [String: Any] {
        [
            "summary": "Health check (no authentication)",
            "security": [[String: Any]](),
            "responses": ["200": json("pong", object([
                "success": ["type": "boolean", "const": true], "message": ["type": "string", "const": "pong"],
                "data": object(["version": string, "database": ["type": "string", "enum": ["ok", "unavailable"]]], required: ["version"]),
            ], required: ["success", "message", "data"]))],
        ]
    }

    static var ready: [String: Any] {
        [
            "summary": "Readiness (no authentication): 200 while the database answers, 503 otherwise",
            "security": [[String: Any]](),
            "responses": [
                "200": json("ready", object([
                    "success": ["type": "boolean", "const": true], "message": string, "data": object(["database": ["type": "string", "const": "ok"]]),
                ], required: ["success", "message", "data"])),
                "503": json("the database does not answer (SERVICE_UNAVAILABLE), with Retry-After", ["$ref": "#/components/schemas/Error"]),
            ],
        ]
    }

    static var openAPI: [String: Any] {
        [
            "summary": "This document (no authentication)",
            "security": [[String: Any]](),
            "responses": ["200": json("the OpenAPI document", ["type": "object"])],
        ]
    }

    static var job: [String: Any] {
        [
            "summary": "The caller's own background job: state, attempts, last error",
            "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1]]],
            "responses": [
                "200": json("the job", ["$ref": "#/components/schemas/Envelope"]),
                "401": json("missing or invalid credentials", ["$ref": "#/components/schemas/Error"]),
                "403": json("the token has no scope of a store (INSUFFICIENT_PERMISSIONS), or the user is disabled (USER_DISABLED)", ["$ref": "#/components/schemas/Error"]),
                "404": json("no such job of the caller's", ["$ref": "#/components/schemas/Error"]),
                "422": json("the id is not a positive whole number (VALIDATION_ERROR, field id)", ["$ref": "#/components/schemas/Error"]),
                "429": json("over the hourly rate limit (RATE_LIMIT_EXCEEDED), with Retry-After", ["$ref": "#/components/schemas/Error"]),
                "503": json("the database cannot serve now (SERVICE_UNAVAILABLE), with Retry-After", ["$ref": "#/components/schemas/Error"]),
            ],
        ]
    }

    // MARK: building blocks

    static var string: [String: Any] {
        ["type": "string"]
    }

    static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }

    /// A request body's object. The server reads a field sent as `null` as left out
    /// (`JSONBody.has`), so every optional property also allows `null`.
    static func requestObject(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        object(properties.reduce(into: [:]) { schemas, property in
            schemas[property.key] = required.contains(property.key) ? property.value : nullable(property.value as? [String: Any] ?? [:])
        }, required: required)
    }

    /// `schema`, or `null`.
    static func nullable(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        if let type = schema["type"] as? String {
            schema["type"] = [type, "null"]
        } else if let types = schema["type"] as? [String] {
            schema["type"] = types.contains("null") ? types : types + ["null"]
        } else if let choices = schema["anyOf"] as? [Any] {
            schema["anyOf"] = choices + [["type": "null"]]
        }
        if let values = schema["enum"] as? [Any] { schema["enum"] = values + [NSNull()] }
        return schema
    }

    /// A boolean, also written as the string "true" or "false" in any case (`JSONBody.bool`).
    static var flag: [String: Any] {
        ["anyOf": [["type": "boolean"], ["type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"]]]
    }

    static func json(_ description: String, _ schema: [String: Any]) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    static func contextError(_ description: String) -> [String: Any] {
        json(description, ["$ref": "#/components/schemas/ContextError"])
    }
}
