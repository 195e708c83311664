import Jobs
import Postgres

/// What a change brings with it beyond its own rows — usage metered, an AI operation and its
/// model's tokens, one webhook event, follow-up jobs — recorded in the change's own
/// transaction, so each exists exactly when the change is committed. A service builds one
/// per change and records it last:
///
///     try ChangeEffects(userID: owner)
///         .metering(.storedBytes, bytes)
///         .emitting(.contextAdded, ["document_id": id])
///         .record(on: connection)
public struct ChangeEffects {
    public let userID: String
    private var metered: [(metric: UsageMetric, quantity: Int)] = []
    private var aiOperation: (purpose: String, output: AssistantOutput)?
    private var event: (type: WebhookEventType, data: [String: Any])?
    private var jobs: [NewJob] = []

    public init(userID: String) {
        self.userID = userID
    }

    /// Adds `quantity` (negative to take back) to the user's `metric` this hour.
    public func metering(_ metric: UsageMetric, _ quantity: Int) -> Self {
        var effects = self
        effects.metered.append((metric, quantity))
        return effects
    }

    /// Counts one AI operation, and its model's call and tokens when a model produced it.
    public func countingAIOperation(_ purpose: String, output: AssistantOutput) -> Self {
        var effects = self
        effects.aiOperation = (purpose, output)
        return effects
    }

    /// Emits `type` with `data` (see `WebhookEvents.emit`) to the user's webhooks.
    public func emitting(_ type: WebhookEventType, _ data: [String: Any]) -> Self {
        var effects = self
        effects.event = (type, data)
        return effects
    }

    /// Enqueues `job`; nil adds nothing.
    public func enqueueing(_ job: NewJob?) -> Self {
        var effects = self
        if let job { effects.jobs.append(job) }
        return effects
    }

    /// Records every effect on `connection`, inside the caller's transaction. Returns the ids
    /// of the jobs enqueued (on `queue`, needed only when there are jobs), in the order they
    /// were added.
    @discardableResult
    public func record(queue: JobQueue? = nil, on connection: PostgresConnection) throws -> [Int] {
        precondition(jobs.isEmpty || queue != nil, "jobs to enqueue need a queue")
        let users = UserStore()
        for (metric, quantity) in metered {
            try users.meter(userID: userID, metric: metric, quantity: quantity, on: connection)
        }
        if let aiOperation {
            try UsageMetric.recordAIOperation(userID: userID, purpose: aiOperation.purpose, output: aiOperation.output, on: connection)
        }
        let jobIDs = try jobs.map { try queue!.enqueue($0, on: connection).id }
        if let event {
            try WebhookEvents.emit(event.type, userID: userID, data: event.data, on: connection)
        }
        return jobIDs
    }
}
