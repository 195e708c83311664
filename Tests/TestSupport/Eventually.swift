import Foundation

public struct TimedOut: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds; throws `TimedOut` after `timeout`.
/// Tests wait on conditions like this, never on fixed sleeps.
public func eventually(
    _ what: String, timeout: Duration = .seconds(120), interval: Duration = .milliseconds(25),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    if try await condition() { return }
    throw TimedOut(description: "timed out after \(timeout) waiting for: \(what)")
}
