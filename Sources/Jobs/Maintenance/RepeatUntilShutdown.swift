import ServiceLifecycle

/// Runs `duty` every `interval` until graceful shutdown or cancellation: the wait between
/// runs ends early at shutdown; a run in progress finishes first (its writes are short
/// transactions, and half of one would be rolled back anyway).
func repeatUntilShutdown(every interval: Duration, _ duty: () async -> Void) async {
    while true {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        if Task.isShuttingDownGracefully || Task.isCancelled { return }
        await duty()
    }
}
