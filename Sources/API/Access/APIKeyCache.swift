import Auth
import Foundation
import Synchronization

/// Recent API-key lookups, so that a request with a key costs no database round trip and a
/// stream of made-up keys costs one lookup each per `negativeLifetime`, not one per request.
///
/// Entries live briefly (`positiveLifetime`, `negativeLifetime`); a revoked or deleted key is
/// dropped at once when PostgreSQL announces it (`sql/0016`, channel `context0_api_keys`),
/// and everything is dropped whenever the announcement channel (re)connects, since
/// announcements sent while it was away are lost. The cache is bounded: when a side is full
/// it is emptied rather than scanned, which only costs lookups.
final class APIKeyCache: Sendable {
    static let channel = "context0_api_keys"

    private struct State {
        /// Who each live key acts as, as the database said, and until when that is believed.
        var known: [Data: (identity: Identity, expires: ContinuousClock.Instant)] = [:]
        var unknown: [Data: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())
    let positiveLifetime: Duration
    let negativeLifetime: Duration
    let capacity: Int

    init(positiveLifetime: Duration = .seconds(30), negativeLifetime: Duration = .seconds(10), capacity: Int = 10_000) {
        self.positiveLifetime = positiveLifetime
        self.negativeLifetime = negativeLifetime
        self.capacity = capacity
    }

    enum Lookup {
        case live(Identity)
        case unknown
        case notCached
    }

    func lookup(_ hash: Data, now: ContinuousClock.Instant = .now) -> Lookup {
        state.withLock { state in
            if let known = state.known[hash] {
                if known.expires > now { return .live(known.identity) }
                state.known[hash] = nil
            }
            if let expires = state.unknown[hash] {
                if expires > now { return .unknown }
                state.unknown[hash] = nil
            }
            return .notCached
        }
    }

    func remember(_ hash: Data, identity: Identity?, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if let identity {
                if state.known.count >= capacity { state.known.removeAll(keepingCapacity: true) }
                state.known[hash] = (identity, now + positiveLifetime)
            } else {
                if state.unknown.count >= capacity { state.unknown.removeAll(keepingCapacity: true) }
                state.unknown[hash] = now + negativeLifetime
            }
        }
    }

    /// Forgets one key, given as the hex of its hash (the announcement's payload).
    func forget(hashHex: String) {
        guard let hash = Data(hex: hashHex) else { return forgetAll() }
        state.withLock { $0.known[hash] = nil }
    }

    func forgetAll() {
        state.withLock { $0 = State() }
    }
}

extension Data {
    /// Bytes from lowercase or uppercase hex; nil for anything else.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes)
    }
}
