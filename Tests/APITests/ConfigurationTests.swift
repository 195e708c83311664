import API
import Foundation
import Settings
import Testing

/// What the API process refuses to start with, and the limits it reads.
@Suite struct APIConfigurationTests {
    /// Enough for `APIConfiguration` to be built: nothing here connects anywhere.
    static func environment(_ settings: [String: String]) -> [String: String] {
        ["DATABASE_URL": "postgresql://127.0.0.1:1/unused", "JWT_SECRET": String(repeating: "s", count: 32)].merging(settings) { $1 }
    }

    /// RFC 7518 §3.2: an HS256 key has at least 256 bits. Counted in bytes, not characters.
    @Test(arguments: [String(repeating: "s", count: 31), "gzip-secret", "rate-limit-secret", String(repeating: "é", count: 15)])
    func aJWTSecretShorterThan32BytesIsRefusedAtStart(_ secret: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try APIConfiguration(environment: Self.environment(["JWT_SECRET": secret]))
        }
        #expect(error?.description.contains("JWT_SECRET must be at least 32 bytes") == true, "\(String(describing: error))")
    }

    @Test(arguments: [String(repeating: "s", count: 32), String(repeating: "é", count: 16), "context0-tests-secret-5c2e8a1f7b3d9064"])
    func aJWTSecretOf32BytesOrMoreIsAccepted(_ secret: String) throws {
        let configuration = try APIConfiguration(environment: Self.environment(["JWT_SECRET": secret]))
        #expect(configuration.jwtSecret == secret)
    }

    @Test func metadataLimitsDefaultTo64KiB8LevelsAnd256Keys() throws {
        let limits = try APIConfiguration(environment: Self.environment([:])).metadataLimits
        #expect(limits == MetadataLimits(maxBytes: 65_536, maxDepth: 8, maxKeys: 256))
        #expect(limits == MetadataLimits.defaults)
    }

    @Test func metadataLimitsAreReadFromTheEnvironment() throws {
        let limits = try APIConfiguration(environment: Self.environment([
            "METADATA_MAX_BYTES": "40960", "METADATA_MAX_DEPTH": "4", "METADATA_MAX_KEYS": "64",
        ])).metadataLimits
        #expect(limits == MetadataLimits(maxBytes: 40_960, maxDepth: 4, maxKeys: 64))
    }

    @Test(arguments: [
        ["METADATA_MAX_BYTES": "lots"], ["METADATA_MAX_BYTES": "0"], ["METADATA_MAX_BYTES": "20000000"],
        ["METADATA_MAX_DEPTH": "0"], ["METADATA_MAX_DEPTH": "1000"], ["METADATA_MAX_KEYS": "-1"],
    ])
    func badMetadataLimitsAreRefusedAtStart(_ settings: [String: String]) {
        let error = #expect(throws: ConfigurationError.self) {
            try APIConfiguration(environment: Self.environment(settings))
        }
        #expect(error?.description.contains(settings.keys.first ?? "?") == true, "\(String(describing: error))")
    }

    @Test func searchRankingIsHybridUnlessSetAndAnythingElseIsRefused() throws {
        #expect(try APIConfiguration(environment: Self.environment([:])).searchRanking == .hybrid)
        #expect(try APIConfiguration(environment: Self.environment(["SEARCH_RANKING": "Text"])).searchRanking == .text)
        #expect(try APIConfiguration(environment: Self.environment(["SEARCH_RANKING": "vector"])).searchRanking == .vector)
        let error = #expect(throws: ConfigurationError.self) {
            try APIConfiguration(environment: Self.environment(["SEARCH_RANKING": "bm25"]))
        }
        #expect(error?.description.contains("SEARCH_RANKING") == true, "\(String(describing: error))")
        #expect(try APIConfiguration(environment: Self.environment(["SEARCH_VECTOR_WEIGHT": "0.7"])).searchRanking.hybridVectorWeight == 0.7)
        for bad in ["1.5", "-0.1", "half"] {
            #expect(throws: ConfigurationError.self) { try APIConfiguration(environment: Self.environment(["SEARCH_VECTOR_WEIGHT": bad])) }
        }
    }
}
