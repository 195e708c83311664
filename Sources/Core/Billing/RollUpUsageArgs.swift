import Jobs

/// The periodic usage rollup: monthly totals and closed billing periods.
public struct RollUpUsageArgs: JobArguments {
    public static let kind = "billing.rollup"
    public static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }

    public init() {}
}
