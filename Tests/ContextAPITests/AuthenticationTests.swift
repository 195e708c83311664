import Foundation
import TestSupport
import Testing

/// Bearer authentication (JWTs and API keys), scopes and disabled users, on every endpoint.
extension ContextAPI {
    @Suite struct Authentication {
        /// One request to each of the five endpoints, with a body each would accept.
        static func everyEndpoint(_ server: TestServer, token: String?, headers: [String: String] = [:]) async throws -> [(String, HTTPAnswer)] {
            let source = "auth-\(UUID().uuidString.prefix(8))"
            let requests: [(String, String, RequestBody)] = [
                ("POST", "add", addBody("Authentication probe document.", source: source)),
                ("POST", "search", .json(["query": "probe", "similarity_threshold": 1, "minimum_similarity_threshold": 0])),
                ("POST", "delete", .json(["source": source, "by_doc": true, "by_id": false])),
                ("GET", "view", .none),
                ("GET", "view/docs", .none),
            ]
            var answers = [(String, HTTPAnswer)]()
            for (method, endpoint, body) in requests {
                var allHeaders = headers
                if let token { allHeaders["Authorization"] = "Bearer \(token)" }
                answers.append((endpoint, try await server.send(method, "/context/\(endpoint)", body: body, headers: allHeaders)))
            }
            return answers
        }

        /// The status each endpoint answers an authorized request with.
        static let successStatus = ["add": 201, "search": 202, "delete": 204, "view": 200, "view/docs": 200]

        @Test func aValidJWTIsAcceptedOnEveryEndpoint() async throws {
            let server = try TestServer.shared
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: server.token(TestServer.newUser())) {
                #expect(answer.status == Self.successStatus[endpoint], "\(endpoint): \(answer)")
            }
        }

        @Test func aMissingAuthorizationHeaderIs401() async throws {
            let server = try TestServer.shared
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: nil) {
                expectContextError(answer, 401, "\(endpoint) without Authorization")
            }
        }

        @Test func anAuthorizationHeaderThatIsNotBearerIs401() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let headers = [
                "Basic " + Data("user:password".utf8).base64EncodedString(),
                token,  // no scheme at all
                "Bearer",  // scheme without token
                "Bearer ",
                "Token \(token)",
            ]
            for header in headers {
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: nil, headers: ["Authorization": header]) {
                    expectContextError(answer, 401, "\(endpoint) with Authorization: \(header)")
                }
            }
        }

        @Test(arguments: [
            ("garbage", "not-a-token"),
            ("two parts", "abc.def"),
            ("three junk parts", "abc.def.ghi"),
            ("empty parts", ".."),
            ("header not JSON", ForgedToken.base64URL("hello") + "." + ForgedToken.base64URL("{}") + ".sig"),
            ("padded base64", "eyJhbGciOiJIUzI1NiJ9==.e30=.c2ln"),
        ])
        func aMalformedTokenIs401(_ label: String, _ token: String) async throws {
            let server = try TestServer.shared
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                expectContextError(answer, 401, "\(endpoint) with a malformed token (\(label))")
            }
        }

        @Test func aTokenSignedWithAnotherSecretIs401() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let forged = ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: ForgedToken.claims(user), secret: "not-the-secret")
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: forged) {
                expectContextError(answer, 401, "\(endpoint) with a bad signature")
            }
        }

        @Test func aTokenWhoseClaimsWereChangedAfterSigningIs401() async throws {
            let server = try TestServer.shared
            let genuine = server.token(TestServer.newUser()).split(separator: ".").map(String.init)
            let tampered = genuine[0] + "." + ForgedToken.base64URL(ForgedToken.claims("someone-else")) + "." + genuine[2]
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: tampered) {
                expectContextError(answer, 401, "\(endpoint) with tampered claims")
            }
        }

        @Test func algNoneIs401() async throws {
            let server = try TestServer.shared
            let claims = ForgedToken.claims(TestServer.newUser())
            let tokens = [
                ForgedToken.make(header: #"{"alg":"none","typ":"JWT"}"#, payload: claims, secret: nil),
                ForgedToken.make(header: #"{"alg":"None","typ":"JWT"}"#, payload: claims, secret: nil),
                // alg none, yet with a valid HMAC over the header and payload
                ForgedToken.make(header: #"{"alg":"none","typ":"JWT"}"#, payload: claims, secret: server.jwtSecret),
                // no alg at all
                ForgedToken.make(header: #"{"typ":"JWT"}"#, payload: claims, secret: server.jwtSecret),
            ]
            for token in tokens {
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with \(token)")
                }
            }
        }

        @Test func otherAlgorithmsAre401EvenWhenHMACSignedWithTheSecret() async throws {
            let server = try TestServer.shared
            let claims = ForgedToken.claims(TestServer.newUser())
            for algorithm in ["RS256", "HS384", "HS512", "ES256", "hs256"] {
                // The classic confusion attack: the header claims another algorithm, the
                // signature is an HMAC made with the shared secret.
                let token = ForgedToken.make(header: #"{"alg":"\#(algorithm)","typ":"JWT"}"#, payload: claims, secret: server.jwtSecret)
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with alg \(algorithm)")
                }
            }
        }

        @Test func anExpiredTokenIs401() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            for token in [server.token(user, expiresIn: -60), server.token(user, expiresIn: -86_400)] {
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with an expired token")
                }
            }
        }

        @Test func tokensWithoutSubOrExpAre401() async throws {
            let server = try TestServer.shared
            let exp = Int(Date().timeIntervalSince1970) + 3600
            let header = #"{"alg":"HS256","typ":"JWT"}"#
            let payloads = [
                #"{"exp":\#(exp)}"#,
                #"{"sub":"\#(TestServer.newUser())"}"#,
                #"{"sub":"","exp":\#(exp)}"#,
                #"{"sub":42,"exp":\#(exp)}"#,
                #"{"sub":"\#(TestServer.newUser())","exp":"tomorrow"}"#,
                "[]",
            ]
            for payload in payloads {
                let token = ForgedToken.make(header: header, payload: payload, secret: server.jwtSecret)
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with claims \(payload)")
                }
            }
        }

        /// RFC 7519 §2: a NumericDate "can represent non-integer values"; libraries that
        /// stamp `exp` from a float clock send e.g. 1767225600.5.
        @Test func aFractionalExpIsAccepted() async throws {
            let server = try TestServer.shared
            let exp = Double(Int(Date().timeIntervalSince1970) + 3600) + 0.5
            let token = ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                         payload: #"{"sub":"\#(TestServer.newUser())","exp":\#(exp)}"#, secret: server.jwtSecret)
            let answer = try await server.contextGet("view", token: token)
            #expect(answer.status == 200, "a valid token with a fractional exp: \(answer)")
            let expired = ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                           payload: #"{"sub":"\#(TestServer.newUser())","exp":\#(exp - 7200)}"#, secret: server.jwtSecret)
            expectContextError(try await server.contextGet("view", token: expired), 401, "an expired fractional exp")
        }

        /// RFC 7519 §4.1.5: a token is not accepted before its `nbf` (a few seconds of clock
        /// skew aside); once that time has passed it is.
        @Test func aTokenIsRefusedBeforeItsNotBeforeTime() async throws {
            let server = try TestServer.shared
            let now = Int(Date().timeIntervalSince1970)
            func token(nbf: Int) -> String {
                ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                 payload: #"{"sub":"\#(TestServer.newUser())","exp":\#(now + 7200),"nbf":\#(nbf)}"#, secret: server.jwtSecret)
            }
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: token(nbf: now + 3600)) {
                expectContextError(answer, 401, "\(endpoint) with nbf an hour ahead")
            }
            #expect(try await server.contextGet("view", token: token(nbf: now - 60)).status == 200, "nbf a minute ago")
            let unreadable = ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                              payload: #"{"sub":"\#(TestServer.newUser())","exp":\#(now + 7200),"nbf":"later"}"#, secret: server.jwtSecret)
            expectContextError(try await server.contextGet("view", token: unreadable), 401, "nbf that is not a number")
        }

        /// `org_id: ""` is no organization anyone was given: refused, not made a tenant that
        /// every such token would share.
        @Test func anEmptyOrOverlongOrgIDIs401() async throws {
            let server = try TestServer.shared
            let exp = Int(Date().timeIntervalSince1970) + 3600
            for org in ["", String(repeating: "o", count: 257)] {
                let token = ForgedToken.make(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                             payload: #"{"sub":"\#(TestServer.newUser())","exp":\#(exp),"org_id":"\#(org)"}"#, secret: server.jwtSecret)
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with org_id of \(org.count) characters")
                }
            }
            #expect(try await server.contextGet("view", token: server.token(TestServer.newUser(), org: "org-\(UUID())")).status == 200)
        }

        @Test func apiKeysWorkUntilRevoked() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let key = try await server.createKey(user: user)
            #expect(key.key.hasPrefix("c0_"))
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: key.key) {
                #expect(answer.status == Self.successStatus[endpoint], "\(endpoint) with a live key: \(answer)")
            }
            // The key acts as its user: what it adds, that user's JWT sees.
            let source = "key-\(UUID().uuidString.prefix(8))"
            let ids = try await server.add(token: key.key, addBody("Added with an API key.", source: source))
            let docs = try await server.viewDocs(token: server.token(user))
            #expect(docs["documents"]?.array?.contains { $0["id"]?.string == ids[0] } == true)

            try await server.revokeKey(key.id)
            // The revocation reaches the API's key cache by a notification, a moment later.
            try await eventually("the revoked key is refused") { try await server.get("/memories", token: key.key).status == 401 }
            for (endpoint, answer) in try await Self.everyEndpoint(server, token: key.key) {
                expectContextError(answer, 401, "\(endpoint) with a revoked key")
            }
        }

        @Test func unknownAPIKeysAre401() async throws {
            let server = try TestServer.shared
            let live = try await server.createKey(user: TestServer.newUser())
            var altered = Array(live.key)
            altered[altered.count - 1] = altered.last == "a" ? "b" : "a"
            for token in ["c0_" + String(repeating: "x", count: 40), String(altered), "c0_", live.key + "x"] {
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: token) {
                    expectContextError(answer, 401, "\(endpoint) with unknown key \(token)")
                }
            }
        }

        @Test func aTokenLackingTheScopeIs403() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let readOnly = server.token(user, scopes: ["context:read"])
            let writeOnly = server.token(user, scopes: ["context:write"])
            let unrelated = server.token(user, scopes: ["memories:read", "chat"])
            let none = server.token(user, scopes: [])

            let source = "scope-\(UUID().uuidString.prefix(8))"
            let addRequest = addBody("Scopes decide what a token may do.", source: source)
            let searchRequest = RequestBody.json(["query": "scopes", "similarity_threshold": 1, "minimum_similarity_threshold": 0])
            let deleteRequest = RequestBody.json(["source": source, "by_doc": true, "by_id": false])

            for token in [readOnly, unrelated, none] {
                expectContextError(try await server.contextPost("add", token: token, addRequest), 403, "add without context:write")
                expectContextError(try await server.contextPost("delete", token: token, deleteRequest), 403, "delete without context:write")
            }
            for token in [writeOnly, unrelated, none] {
                expectContextError(try await server.contextPost("search", token: token, searchRequest), 403, "search without context:read")
                expectContextError(try await server.contextGet("view", token: token), 403, "view without context:read")
                expectContextError(try await server.contextGet("view/docs", token: token), 403, "view/docs without context:read")
            }
            // Each scope does let its own endpoints through.
            #expect(try await server.contextPost("add", token: writeOnly, addRequest).status == 201)
            #expect(try await server.contextPost("search", token: readOnly, searchRequest).status == 202)
            #expect(try await server.contextPost("delete", token: writeOnly, deleteRequest).status == 204)
            #expect(try await server.contextGet("view", token: readOnly).status == 200)
            #expect(try await server.contextGet("view/docs", token: readOnly).status == 200)
        }

        @Test func anAPIKeyLackingTheScopeIs403() async throws {
            let server = try TestServer.shared
            let key = try await server.createKey(user: TestServer.newUser(), scopes: ["context:read"])
            expectContextError(try await server.contextPost("add", token: key.key, addBody("Read-only key.", source: "ro")), 403, "add with a read-only key")
            #expect(try await server.contextGet("view", token: key.key).status == 200)
        }

        @Test func aDisabledUserGets402OnViewDocsAnd403Elsewhere() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let token = server.token(user)
            let key = try await server.createKey(user: user)
            // The user exists once it has been seen.
            #expect(try await server.contextGet("view/docs", token: token).status == 200)
            try await server.disableUser(user)

            for credential in [token, key.key] {
                for (endpoint, answer) in try await Self.everyEndpoint(server, token: credential) {
                    expectContextError(answer, endpoint == "view/docs" ? 402 : 403, "\(endpoint) for a disabled user")
                }
            }
            // A bad token of a disabled user is still a 401: authentication comes first.
            expectContextError(try await server.contextGet("view/docs", token: server.token(user, expiresIn: -10)), 401, "expired token of a disabled user")
            // Other users are untouched.
            #expect(try await server.contextGet("view/docs", token: server.token(TestServer.newUser())).status == 200)
        }
    }
}
