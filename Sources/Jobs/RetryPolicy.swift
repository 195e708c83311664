/// Exponential backoff with jitter: attempt n waits about `base · 2^(n-1)`, capped at
/// `maximum`, spread by ±`jitter` so jobs that failed together do not retry together.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var maximum: Duration
    /// Fraction of the delay used as random spread, 0...1.
    public var jitter: Double

    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(3600), jitter: Double = 0.2) {
        self.base = base
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the attempt after failed attempt number `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 40))
        let baseSeconds = base.seconds * pow2(exponent)
        let capped = min(baseSeconds, maximum.seconds)
        let spread = capped * jitter * Double.random(in: -1...1)
        return .milliseconds(Int64(max(0, capped + spread) * 1000))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
