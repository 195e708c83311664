import Dispatch
import Foundation
import Logging
import Synchronization

/// Ends the process when a graceful shutdown has not finished by its deadline.
///
/// Graceful shutdown waits for what runs: a request waiting on a row lock, a job in a CPU
/// loop that never looks at cancellation, a statement on a server that stopped answering. A
/// process asked to stop must stop all the same. So the first SIGTERM or SIGINT also starts a
/// clock, on a thread of its own (a cooperative thread could be starved by the very work
/// that will not stop), and at `deadline` the process exits with status 1. Nothing accepted
/// is lost by that: a request still running gets no answer and commits nothing, and a job
/// still running was given back already or is found by the rescuer when its worker's
/// heartbeat stops.
public final class ShutdownDeadline {
    private let sources: [any DispatchSourceSignal]

    /// Watches for SIGTERM and SIGINT (alongside the service group, which handles them too)
    /// for as long as the returned value is kept.
    public init(deadline: Duration, logger: Logger) {
        let queue = DispatchQueue(label: "context0.shutdown-deadline")
        let armed = OnceFlag()
        sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                guard armed.setOnce() else { return }
                logger.info("shutting down: the process ends within \(deadline)")
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: Double(deadline.components.seconds) + Double(deadline.components.attoseconds) * 1e-18)
                    logger.critical("graceful shutdown did not finish within \(deadline): exiting now")
                    // _exit, not exit: exit handlers would run while other threads still do.
                    fflush(nil)
                    _exit(1)
                }
            }
            source.resume()
            return source
        }
    }
}

/// A flag that can be set once, from any thread.
private final class OnceFlag: Sendable {
    private let isSet = Mutex(false)

    /// Sets the flag; true only for the call that set it.
    func setOnce() -> Bool {
        isSet.withLock { isSet in
            defer { isSet = true }
            return !isSet
        }
    }
}
