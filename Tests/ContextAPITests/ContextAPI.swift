import Testing

/// Every Context API test runs inside this suite: one real `context0-api` and one real
/// `context0-worker` on a fresh database serve them all. Tests stay independent by using
/// user ids (and organization ids) of their own.
@Suite(.contextServer, .timeLimit(.minutes(3)))
struct ContextAPI {}
