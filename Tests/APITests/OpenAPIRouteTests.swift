import Foundation
import TestSupport
import Testing

/// The served OpenAPI document describes the real routes: every documented operation
/// exists, asks for authentication exactly when the document says so, and answers a
/// request with one of the statuses it documents; undocumented paths do not exist.
@Suite struct OpenAPIRouteTests {
    @Test func everyDocumentedOperationExistsAndAnswersAsDocumented() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let served = try await server.get("/openapi.json", token: nil)
            #expect(served.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            #expect(paths.count >= 17)
            let token = server.newToken("openapi")

            for (template, operations) in paths {
                #expect(template.hasPrefix("/api/v1/"), "\(template)")
                // Path parameters get an example value: an id that exists for nobody.
                let example = template.hasPrefix("/api/v1/jobs") ? "987654" : "00000000-0000-4000-8000-000000000000"
                let path = String(template.replacingOccurrences(of: "{id}", with: example).dropFirst("/api/v1".count))
                for (method, operation) in operations {
                    let documented = Set((operation["responses"] as? [String: Any] ?? [:]).keys)
                    let isPublic = (operation["security"] as? [Any])?.isEmpty == true
                    let anonymous = try await send(server, method, path, token: nil)
                    if isPublic {
                        #expect(documented.contains(String(anonymous)), "\(method) \(path) answered \(anonymous)")
                    } else {
                        #expect(anonymous == 401, "\(method) \(path) without a token answered \(anonymous)")
                        let authenticated = try await send(server, method, path, token: token)
                        #expect(documented.contains(String(authenticated)), "\(method) \(path) answered \(authenticated), documented \(documented.sorted())")
                    }
                }
            }
            for path in ["/nothing-here", "/context/unknown"] {
                #expect(try await send(server, "get", path, token: token) == 404)
            }
        }
    }

    /// Sends `{}` to POST operations; returns the status.
    private func send(_ server: TestServer, _ method: String, _ path: String, token: String?) async throws -> Int {
        let body: RequestBody = method == "post" ? .text("{}") : .none
        return try await server.send(method.uppercased(), path, token: token, body: body).status
    }
}
