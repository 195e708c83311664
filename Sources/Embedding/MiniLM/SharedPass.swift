import Foundation
import Synchronization

/// One forward pass shared by whichever model threads are free: the thread leading the pass
/// publishes each stage as independent chunks, it and any helpers take chunks until none are
/// left, and the leader goes on once every chunk of the stage is done.
///
/// Helpers are optional. A thread busy with another pass joins late or not at all and the
/// leader runs the chunks itself, so a query never waits for a thread to become free; and
/// the result does not depend on who ran which chunk, because chunks write disjoint outputs
/// computed the same way whoever runs them.
final class SharedPass: Sendable {
    /// Runs chunk `index` of a stage, with the running thread's own workspace for scratch.
    typealias Chunk = @Sendable (_ index: Int, _ scratch: BertWorkspace) -> Void

    private struct Stage {
        var work: Chunk
        var count: Int
        var next = 0
        var done = 0
    }

    private struct State {
        var stage: Stage?
        var finished = false
    }

    private enum Assignment {
        case chunk(Int, Chunk)
        case wait
        case finished
    }

    private let state = Mutex(State())

    /// For the leader: runs chunks `0 ..< count` of `work` on this thread and on any helpers,
    /// returning when all of them are done.
    func run(_ count: Int, scratch: BertWorkspace, _ work: @escaping Chunk) {
        state.withLock { $0.stage = Stage(work: work, count: count) }
        while case .chunk(let index, _) = take() {
            work(index, scratch)
            complete()
        }
        var waits = 0
        while !state.withLock({ $0.stage.map { $0.done == $0.count } ?? true }) { Self.pause(&waits) }
        state.withLock { $0.stage = nil }
    }

    /// For a helper thread: runs chunks of whatever stage is open until the leader calls
    /// `finish`, and returns how many it ran.
    @discardableResult
    func help(scratch: BertWorkspace) -> Int {
        var waits = 0, ran = 0
        while true {
            switch take() {
            case .chunk(let index, let work):
                work(index, scratch)
                complete()
                ran += 1
                waits = 0
            case .wait: Self.pause(&waits)
            case .finished: return ran
            }
        }
    }

    /// Ends the pass for its helpers; the leader calls it when its pass is over or skipped.
    func finish() {
        state.withLock { $0.finished = true }
    }

    private func take() -> Assignment {
        state.withLock { state in
            if state.finished { return .finished }
            guard var stage = state.stage, stage.next < stage.count else { return .wait }
            let index = stage.next
            stage.next += 1
            state.stage = stage
            return .chunk(index, stage.work)
        }
    }

    private func complete() {
        state.withLock { $0.stage?.done += 1 }
    }

    /// Waits a moment for another thread: spins briefly (the other side's step is microseconds
    /// away), then yields the core, so a preempted partner on a busy machine gets it back.
    private static func pause(_ waits: inout Int) {
        waits += 1
        if waits > 64 { sched_yield() }
    }
}
