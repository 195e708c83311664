/// A setting read from the environment that cannot be used, saying which variable and what
/// it must be. Every part of Context0 reads its settings into a configuration value at
/// start-up and throws this; the executables print it and exit.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The whole number in variable `name` when it is set (and not blank); an error naming
    /// the variable and `range` when it is not a number in `range`.
    public static func integer(_ name: String, in environment: [String: String], range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
