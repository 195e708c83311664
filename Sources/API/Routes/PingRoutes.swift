import Hummingbird

/// `GET /api/v1/ping`, the unauthenticated health check of the Context0 spec, `GET
/// /api/v1/ready` (200 when the database answers, 503 otherwise), and `GET
/// /api/v1/openapi.json`, this server's OpenAPI document (all three unauthenticated).
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

    struct Readiness: Encodable, Sendable {
        let database: String
    }

    func add(to group: RouterGroup<Context0RequestContext>) {
        group.get("ping") { _, _ in
            let reachable = await database.isReachable()
            return PingResponse(success: true, message: "pong", data: .init(version: "1.0.0", database: reachable ? "ok" : "unavailable"))
        }
        // For load balancers and orchestrators: take this process out of rotation while it
        // cannot reach the database, and back in when it can.
        group.get("ready") { _, _ -> Envelope<Readiness> in
            guard await database.isReachable() else { throw APIError.unavailable("not ready: the database does not answer") }
            return Envelope("ready", Readiness(database: "ok"))
        }
        group.get("openapi.json") { _, _ in OpenAPIDocument.response() }
    }
}
