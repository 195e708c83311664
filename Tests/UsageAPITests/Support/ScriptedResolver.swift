import Core
import Foundation

/// A resolver answering from a script, which records every name it was asked. Each name has
/// its answers in order (the last one repeats); a name without answers does not resolve. A
/// rebinding name answers one thing first and another after, as an attacker's DNS server would.
final class ScriptedResolver: WebhookResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [String: [[IPAddress]]]
    private var names: [String] = []

    init(_ script: [String: [[IPAddress]]]) {
        self.script = script
    }

    /// Every name asked, in order.
    var asked: [String] { lock.withLock { names } }

    func addresses(of host: String) async throws -> [IPAddress] {
        try answer(host)
    }

    private func answer(_ host: String) throws -> [IPAddress] {
        try lock.withLock {
            names.append(host)
            guard var answers = script[host], let first = answers.first else {
                throw WebhookResolutionError("\(host) is not in the script")
            }
            if answers.count > 1 {
                answers.removeFirst()
                script[host] = answers
            }
            return first
        }
    }
}
