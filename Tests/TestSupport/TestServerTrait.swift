import Testing

/// Starts one `TestServer` around the whole suite it is applied to and makes it
/// `TestServer.current` for every test inside (nested suites included).
public struct TestServerTrait: SuiteTrait, TestScoping {
    let environment: [String: String]
    /// Around the scope, e.g. to start a stand-in for an outside service first.
    let around: @Sendable (@Sendable ([String: String]) async throws -> Void) async throws -> Void

    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let environment = environment
        try await around { extra in
            try await TestServer.run(environment.merging(extra) { $1 }) { server in
                try await TestServer.$current.withValue(server) { try await function() }
            }
        }
    }
}

extension Trait where Self == TestServerTrait {
    /// A `TestServer` started with `environment` for the suite.
    public static func testServer(_ environment: [String: String] = [:]) -> Self {
        Self(environment: environment, around: { try await $0([:]) })
    }

    /// A `TestServer` for the suite, inside `around`, which passes the server more settings
    /// (the address of a stand-in service it started, say).
    public static func testServer(
        around: @escaping @Sendable (@Sendable ([String: String]) async throws -> Void) async throws -> Void
    ) -> Self {
        Self(environment: [:], around: around)
    }
}
