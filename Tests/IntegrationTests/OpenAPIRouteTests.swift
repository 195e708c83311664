import Auth
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// The served OpenAPI document describes the real routes: every documented operation
/// exists, asks for authentication exactly when the document says so, and answers a
/// request with one of the statuses it documents; undocumented paths do not exist.
@Suite struct OpenAPIRouteTests {
    @Test func everyDocumentedOperationExistsAndAnswersAsDocumented() async throws {
        try await TestDatabase.with { database, _ in
            let port = try freePort()
            let secret = "openapi-test-secret"
            let api = try ChildProcess("context0-api", environment: [
                "DATABASE_URL": database.url, "PORT": String(port), "JWT_SECRET": secret, "LOG_LEVEL": "notice",
            ])
            defer { api.stopNow() }
            let base = "http://127.0.0.1:\(port)"
            try await eventually("the API to answer", timeout: .seconds(30)) { await httpGet(base + "/api/v1/ping") != nil }

            let (status, body) = try #require(await httpGet(base + "/api/v1/openapi.json"))
            #expect(status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            #expect(paths.count >= 17)
            let token = try JSONWebToken(secret: secret).sign(.init(sub: "openapi-user", exp: Date().timeIntervalSince1970 + 600))

            for (template, operations) in paths {
                // Path parameters get an example value: an id that exists for nobody.
                let example = template.hasPrefix("/api/v1/jobs") ? "987654" : "00000000-0000-4000-8000-000000000000"
                let path = template.replacingOccurrences(of: "{id}", with: example)
                for (method, operation) in operations {
                    let documented = Set((operation["responses"] as? [String: Any] ?? [:]).keys)
                    let isPublic = (operation["security"] as? [Any])?.isEmpty == true
                    let anonymous = try await send(method, base + path, token: nil)
                    if isPublic {
                        #expect(documented.contains(String(anonymous)), "\(method) \(path) answered \(anonymous)")
                    } else {
                        #expect(anonymous == 401, "\(method) \(path) without a token answered \(anonymous)")
                        let authenticated = try await send(method, base + path, token: token)
                        #expect(documented.contains(String(authenticated)), "\(method) \(path) answered \(authenticated), documented \(documented.sorted())")
                    }
                }
            }
            for path in ["/api/v1/nothing-here", "/api/v1/context/unknown"] {
                #expect(try await send("get", base + path, token: token) == 404)
            }
        }
    }

    /// Sends `{}` to POST operations; returns the status.
    private func send(_ method: String, _ url: String, token: String?) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method.uppercased()
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if method == "post" {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data("{}".utf8)
        }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
