import Crypto
import Foundation

/// API keys: `c0_` and 40 random characters, shown once; only their SHA-256 is stored.
public enum APIKey {
    public static let prefix = "c0_"

    /// A new random key.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return prefix + String((0..<40).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// True for strings shaped like our keys (tokens that are not are treated as JWTs).
    public static func looksLikeKey(_ token: String) -> Bool {
        token.hasPrefix(prefix) && !token.contains(".")
    }

    /// The stored form of a key.
    public static func hash(_ key: String) -> Data {
        Data(SHA256.hash(data: Data(key.utf8)))
    }
}
