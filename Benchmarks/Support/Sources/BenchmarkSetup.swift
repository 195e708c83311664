import ArgumentParser
import Foundation

/// What every benchmark of the HTTP server starts with: the secret its tokens are signed
/// with, the folder of the executables under test, a fresh database, and clean-up of the
/// database and the processes on every way out (an error, the end, Ctrl-C).
public enum BenchmarkSetup {
    /// `--jwt-secret`, else `JWT_SECRET`: the API must verify the tokens the benchmark mints.
    public static func jwtSecret(_ option: String?) throws -> String {
        guard let secret = option ?? ProcessInfo.processInfo.environment["JWT_SECRET"], !secret.isEmpty else {
            throw ValidationError("set JWT_SECRET (or --jwt-secret): the API must verify the tokens this benchmark mints")
        }
        return secret
    }

    /// `--bin-directory`, else the folder this benchmark runs from (the release build).
    public static func binDirectory(_ option: String?) -> URL {
        option.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Logs the machine, creates the database `name` (migrated, replacing an old one) and runs
    /// `body` with it; afterwards, and on SIGINT/SIGTERM, `stop` stops the processes (given the
    /// grace period to use) and the database is dropped unless `keep`.
    public static func withDatabase<T>(
        serverURL: String, name: String, keep: Bool, stop: @escaping @Sendable (Duration) -> Void,
        _ body: (BenchmarkDatabase) async throws -> T
    ) async throws -> T {
        benchmarkLog("INFO machine cores=\(ProcessInfo.processInfo.activeProcessorCount) loadavg=\(loadAverage())")
        let database = try BenchmarkDatabase(serverURL: serverURL, name: name)
        let cleanup = SignalCleanup {
            stop(.seconds(5))
            if !keep { try? database.drop() }
        }
        defer {
            cleanup.cancel()
            stop(.seconds(10))
            if !keep { try? database.drop() }
        }
        let result = try await body(database)
        if keep { benchmarkLog("INFO kept database \(database.name): \(database.url)") }
        return result
    }
}

/// A line for people, on standard error (standard output carries the RESULT lines).
public func benchmarkLog(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Polls `condition` every `every` until it holds; fails after `timeout`.
public func waitUntil(_ what: String, timeout: Duration, every: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw BenchmarkFailure("timed out waiting until \(what)") }
        try await Task.sleep(for: every)
    }
}
