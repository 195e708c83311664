import TestSupport
import Testing

/// Every Context API test runs inside this suite: one `TestServer` (the API in this
/// process, a real `context0-worker` for indexing) on a fresh database serves them all.
/// Tests stay independent by using user ids (and organization ids) of their own.
@Suite(.testServer(), .timeLimit(.minutes(3)))
struct ContextAPI {}
