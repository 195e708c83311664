/// `maintenance.prune-jobs`: deletes finished jobs older than the retention. The worker
/// enqueues it periodically.
public struct PruneJobsArgs: JobArguments {
    public static let kind = "maintenance.prune-jobs"
    public static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }
    public var retentionSeconds: Int

    public init(retentionSeconds: Int) {
        self.retentionSeconds = retentionSeconds
    }
}
