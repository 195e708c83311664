import Logging

/// Logging for Context0's processes: to standard error, at `LOG_LEVEL` (default `info`).
public enum ProcessLogging {
    /// Sets up logging once per process and returns its root logger.
    public static func bootstrap(label: String, environment: [String: String]) -> Logger {
        let level = Logger.Level(rawValue: environment["LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}
