import ArgumentParser
import Foundation
import Postgres
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The API and worker processes this run started: stopped on every exit path (SIGTERM,
/// then SIGKILL after a grace period), Ctrl-C included.
public final class ServerProcesses: Sendable {
    private let processes = Mutex<[(name: String, process: Process)]>([])
    public let logDirectory: URL
    public let binDirectory: URL

    public init(binDirectory: URL, logDirectory: URL) throws {
        self.binDirectory = binDirectory
        self.logDirectory = logDirectory
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    /// Starts `executable` with `environment` added to ours; its output goes to `<name>.log`.
    public func start(_ executable: String, name: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(executable)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes.withLock { $0.append((name, process)) }
    }

    /// Throws if one of the processes has exited.
    public func requireRunning() throws {
        for (name, process) in processes.withLock({ $0 }) where !process.isRunning {
            throw ValidationError("\(name) exited with status \(process.terminationStatus); see \(logDirectory.path)/\(name).log")
        }
    }

    /// SIGTERM to all, then SIGKILL to any still running after `grace`.
    public func stopAll(grace: Duration = .seconds(10)) {
        let all = processes.withLock { list in
            defer { list = [] }
            return list
        }
        for (_, process) in all where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while all.contains(where: { $0.process.isRunning }), ContinuousClock.now < deadline {
            usleep(50_000)
        }
        for (_, process) in all where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// On SIGINT or SIGTERM: stop the child processes, drop the database, exit.
public final class SignalCleanup: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    public init(_ cleanup: @escaping @Sendable () -> Void) {
        var sources = [any DispatchSourceSignal]()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\(CommandLine.arguments[0]): interrupted, cleaning up\n".utf8))
                cleanup()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    public func cancel() {
        sources.withLock { $0.forEach { $0.cancel() } }
    }
}

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, closed).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw ValidationError("cannot find a free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The 1-minute load average, for the log.
public func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

extension ServerProcesses {
    /// Waits until `count` workers have registered in the database (failing at once if a
    /// process this run started has died).
    public func waitForWorkers(_ count: Int, on connection: PostgresConnection) async throws {
        try await waitUntil("\(count) workers registered", timeout: .seconds(120)) {
            try requireRunning()
            return try connection.query("SELECT count(*)::bigint FROM workers").first!.decode(at: 0, as: Int.self) >= count
        }
    }
}
