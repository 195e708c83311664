import Hummingbird

/// `GET /api/v1/ping`, the unauthenticated health check of the Context0 spec, and
/// `GET /api/v1/openapi.json`, this server's OpenAPI document (also unauthenticated).
struct PingRoutes: Sendable {
    let database: DatabaseHealth

    /// The spec's body, plus whether the database answers (an added field).
    struct PingResponse: ResponseEncodable {
        struct Data: Encodable {
            let version: String
            let database: String
        }
        let success: Bool
        let message: String
        let data: Data
    }

    func add(to group: RouterGroup<Context0RequestContext>) {
        group.get("ping") { _, _ in
            let reachable = await database.isReachable()
            return PingResponse(success: true, message: "pong", data: .init(version: "1.0.0", database: reachable ? "ok" : "unavailable"))
        }
        group.get("openapi.json") { _, _ in
            try JSONResponse.make(.ok, OpenAPIDocument.json())
        }
    }
}
