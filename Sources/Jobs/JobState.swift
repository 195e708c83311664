import Postgres

/// Where a job is in its life. `available` covers scheduled, retried and snoozed jobs too:
/// they wait until their `run_at`.
public enum JobState: String, Sendable, Codable, CaseIterable, PostgresCodable {
    case available, running, completed, failed, cancelled

    public static var postgresOID: UInt32 { 0 }
    public var postgresText: String { rawValue }
    public init?(postgresText text: String) { self.init(rawValue: text) }

    /// Completed, failed and cancelled jobs never run again on their own.
    public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}
