/// How a worker process runs jobs. Defaults suit production; tests shorten the intervals.
public struct JobProcessorConfiguration: Sendable {
    /// Queues to work, each with how many of its jobs may run at once.
    public var queues: [String: Int]
    /// How often an idle queue looks for work without a NOTIFY (the fallback).
    public var pollInterval: Duration = .seconds(1)
    /// How often the worker tells the database it is alive.
    public var heartbeatInterval: Duration = .seconds(1)
    /// A worker silent this long is dead and its jobs are rescued.
    public var deadAfter: Duration = .seconds(10)
    /// How long shutdown waits for running jobs before giving them back to the queue.
    public var shutdownTimeout: Duration = .seconds(10)
    /// The most jobs one claim takes.
    public var maxClaimBatch: Int = 500
    /// How long a claim stays a lease (row locks in an open transaction, written once when
    /// it closes) before the jobs still running are marked running. Zero: claims mark their
    /// jobs running at once (two writes per job).
    public var leaseWindow: Duration = .seconds(1)
    /// How long a free slot may wait for more to free up, so that one claim takes many jobs,
    /// before it is claimed for alone. Claims go at once when every slot is free.
    public var claimLinger: Duration = .milliseconds(5)
    /// Leases one queue may hold open at once; each holds a database connection.
    public var maxOpenLeases: Int = 2

    public init(queues: [String: Int]) {
        self.queues = queues.filter { $0.value > 0 }
    }
}
