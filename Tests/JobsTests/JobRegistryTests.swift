import Jobs
import Testing

/// The registry refuses a kind registered twice: two argument types sharing a `kind` name
/// would run each other's jobs.
@Suite struct JobRegistryTests {
    struct First: JobArguments {
        static let kind = "test.same-name"
    }

    struct Second: JobArguments {
        static let kind = "test.same-name"
    }

    @Test func aKindRegisteredTwiceIsRefused() throws {
        var registry = JobRegistry()
        try registry.register(First.self) { _, _ in .completed }
        #expect(throws: JobRegistry.DuplicateKind.self) {
            try registry.register(Second.self) { _, _ in .completed }
        }
        #expect(registry.kinds == ["test.same-name"])
    }
}
