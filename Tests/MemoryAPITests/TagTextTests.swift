import Foundation
import TestSupport
import Testing

/// Tags are read and counted by Unicode scalar: one that starts with a combining mark
/// (which PostgreSQL writes unquoted in array text) neither fails nor fuses with its
/// neighbour, and a tag's 64-character limit cannot be dodged with combining marks.
extension OfflineMemoryAPI {
    @Suite struct TagText {
        static let accented = "\u{301}accent"

        @Test func aTagStartingWithACombiningMarkRoundTrips() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            for tags in [[Self.accented, "plain"], ["plain", Self.accented]] {
                let created = try await server.createMemory(token, "I collect accents: \(tags.joined(separator: " and ")).", ["tags": tags])
                let stored = try #require(created["tags"]?.array, "\(created)").compactMap { $0.string }
                #expect(stored.map { Array($0.unicodeScalars) } == tags.map { Array($0.unicodeScalars) }, "tags \(tags) came back as \(stored)")
                let id = try #require(created["id"]?.string)
                let fetched = try await server.memory(token, id)["tags"]?.array?.compactMap(\.string) ?? []
                #expect(fetched.map { Array($0.unicodeScalars) } == tags.map { Array($0.unicodeScalars) }, "GET: \(fetched)")
            }
        }

        @Test func aTagFilterSplitsAtEveryComma() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            try await server.createMemory(token, "I write with diacritics.", ["tags": ["plain", Self.accented]])
            try await server.createMemory(token, "I write plainly.", ["tags": ["plain"]])
            // `plain,´accent`: split by character, the comma and the mark were one character,
            // and the filter asked for a single tag `plain,´accent` that nothing has.
            let both = try await server.list(token, "?tags=plain,%CC%81accent")
            #expect(both["total"]?.int == 1, "\(both)")
            #expect(try await server.list(token, "?tags=plain")["total"]?.int == 2)
        }

        @Test func aTagOf64ScalarsIsTheLongestEvenWhenItIsOneCharacter() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let longest = "e" + String(repeating: "\u{301}", count: 63)
            try await server.createMemory(token, "A tag at the limit.", ["tags": [longest]])
            let oneCharacterTooLong = "e" + String(repeating: "\u{301}", count: 64)
            #expect(oneCharacterTooLong.count == 1)
            expectValidation(try await server.post("/memories", token: token, ["text": "A tag past it.", "tags": [oneCharacterTooLong]]), field: "tags")
        }
    }
}
