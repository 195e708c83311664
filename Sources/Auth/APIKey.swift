import Crypto
import Foundation

/// API keys: `c0_` and 40 random characters, shown once; only their SHA-256 is stored.
public enum APIKey {
    public static let prefix = "c0_"

    /// A new random key.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return prefix + String((0..<randomLength).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// Letters and digits after the prefix.
    public static let randomLength = 40

    /// True for exactly the shape `generate` makes: the prefix and 40 ASCII letters or digits.
    /// Checked before any lookup, so a malformed key costs no database work.
    public static func isWellFormed(_ token: String) -> Bool {
        let bytes = token.utf8
        guard bytes.count == prefix.utf8.count + randomLength, token.hasPrefix(prefix) else { return false }
        return bytes.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }

    /// The stored form of a key.
    public static func hash(_ key: String) -> Data {
        Data(SHA256.hash(data: Data(key.utf8)))
    }
}
