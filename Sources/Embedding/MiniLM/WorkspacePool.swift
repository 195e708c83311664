import Foundation

/// Scratch workspaces for forward passes that run on the caller's thread, handed out one per
/// pass and returned after it, so concurrent callers never share one and none is allocated
/// on the hot path once the pool has warmed up.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [BertWorkspace] = []
    private let makeWorkspace: @Sendable () -> BertWorkspace
    private let maxIdle: Int

    init(maxIdle: Int, makeWorkspace: @escaping @Sendable () -> BertWorkspace) {
        self.maxIdle = maxIdle
        self.makeWorkspace = makeWorkspace
    }

    /// Runs `body` with a workspace nobody else is using.
    func withWorkspace<T>(_ body: (BertWorkspace) throws -> T) rethrows -> T {
        let workspace = lock.withLock { idle.popLast() } ?? makeWorkspace()
        defer {
            lock.withLock {
                if idle.count < maxIdle { idle.append(workspace) }
            }
        }
        return try body(workspace)
    }
}
