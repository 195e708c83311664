import Foundation

/// A program of this project started for a test (a worker, the API, the admin CLI), with
/// its output captured in a temporary file.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let outputURL: URL
    private let errorURL: URL

    public init(_ name: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("c0-\(UUID().uuidString).out")
        errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("c0-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = ProjectPaths.executable(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
    }

    public var pid: Int32 { process.processIdentifier }
    public var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    public var errorOutput: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit and returns its status; kills it after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(120)) async throws -> Int32 {
        try await eventually("process \(pid) to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    /// Runs a program to completion: its exit status, standard output and standard error.
    public static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String, error: String) {
        let child = try ChildProcess(name, arguments: arguments, environment: environment)
        let status = try await child.waitForExit(timeout: .seconds(60))
        return (status, child.output, child.errorOutput)
    }

    /// Kills the process at once if it still runs: every test's last word to its children.
    public func stopNow() {
        if process.isRunning { signal(SIGKILL) }
    }

    /// Throws with the child's standard error if it has exited (e.g. it could not start).
    public func requireRunning() throws {
        guard process.isRunning else {
            throw HarnessFailure("\(process.executableURL?.lastPathComponent ?? "child") exited with \(process.terminationStatus): \(errorOutput)")
        }
    }
}
