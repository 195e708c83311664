import Synchronization

/// Raised by the task that waits for a chunking, read by the chunking on a thread pool's
/// thread: a task's cancellation does not reach a closure running on another thread.
final class ChunkingCancellation: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Where a chunking's loops look at its cancellation: the first time they pass, then every
/// 256 passes, so a cancelled chunking stops after a few hundred scalars or pieces.
struct CancellationCheckpoint {
    private let cancellation: ChunkingCancellation?
    private var passesUntilLook = 0

    /// `nil`: a chunking nothing cancels.
    init(_ cancellation: ChunkingCancellation?) {
        self.cancellation = cancellation
    }

    mutating func pass() throws(CancellationError) {
        guard let cancellation else { return }
        passesUntilLook -= 1
        guard passesUntilLook <= 0 else { return }
        passesUntilLook = 256
        if cancellation.isRaised { throw CancellationError() }
    }
}
