import Foundation
import TestSupport
import Testing

/// With documents on distinct topics indexed, a paraphrased query that shares no keyword
/// with its document finds that document first (the vector half of the hybrid search).
extension ContextAPI {
    @Suite struct Relevance {
        static let documents: [String: String] = [
            "cooking": "Simmer diced onions in butter until golden, then stir in garlic, crushed tomatoes and a splash of cream. "
                + "Season the sauce with fresh basil and serve it over tagliatelle with grated parmesan.",
            "astronomy": "Kepler showed that Mars, Jupiter and Saturn travel along elliptical paths around our star. "
                + "Gravity bends their courses, and each of these worlds needs a different number of years to complete one full circuit. "
                + "Telescopes reveal moons circling those distant giants as well.",
            "football": "The striker scored twice in the second half, and the goalkeeper saved a penalty in stoppage time. "
                + "Supporters in the stadium sang until the referee blew the final whistle.",
            "programming": "Write unit tests before refactoring a function. A compiler catches type errors early, "
                + "and a debugger lets you step through each line of source code while inspecting variables.",
            "gardening": "Put rose bushes and lettuce seedlings into well-drained soil after the last frost. "
                + "Water deeply at the roots, prune dead stems, and spread mulch to keep weeds away.",
            "finance": "Diversify a portfolio across index funds and bonds. Compound interest rewards those who invest early, "
                + "and a low expense ratio keeps more of the returns in your pocket.",
        ]

        /// Paraphrases, each sharing no content word with its document.
        static let queries: [(query: String, topic: String)] = [
            ("how do planets orbit the sun", "astronomy"),
            ("a recipe for an italian dinner", "cooking"),
            ("which team won the soccer match", "football"),
            ("how can I grow flowers in my backyard", "gardening"),
            ("saving money for retirement", "finance"),
            ("fixing bugs in software", "programming"),
        ]

        static let stopWords: Set<String> = ["a", "an", "the", "in", "of", "to", "and", "for", "with", "my", "i", "is", "it", "on", "at"]

        static func words(_ text: String) -> Set<String> {
            Set(text.lowercased().split { !$0.isLetter }.map(String.init)).subtracting(stopWords)
        }

        @Test func theQueriesReallyShareNoKeywordWithTheirDocuments() {
            for (query, topic) in Self.queries {
                let documentWords = Self.words(Self.documents[topic]!)
                for word in Self.words(query) {
                    let clash = documentWords.filter { $0 == word || ($0.count >= 3 && word.count >= 3 && ($0.hasPrefix(word) || word.hasPrefix($0))) }
                    #expect(clash.isEmpty, "\"\(query)\" shares \(clash) with the \(topic) document")
                }
            }
        }

        @Test func aParaphrasedQueryFindsItsDocumentFirst() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            let topics = Self.documents.keys.sorted()
            let ids = try await server.addIndexed(token: token, .json([
                "documents": topics.map { ["content": Self.documents[$0]!, "fileName": "\($0).txt"] }, "source": "topics",
            ]))
            let topicOfDocument = Dictionary(uniqueKeysWithValues: zip(ids, topics))
            for (query, topic) in Self.queries {
                let results = try await server.searchResults(token: token, query)
                let ranked = results.compactMap { $0["documentId"]?.string.flatMap { topicOfDocument[$0] } }
                #expect(ranked.first == topic, "\"\(query)\" should find the \(topic) document first; ranking: \(ranked)")
                #expect(results.first?["contextData"]?.string == Self.documents[topic], "\(results.first ?? .null)")
            }
        }

        @Test func theAstronomyParaphraseWinsEvenAmongManyOtherDocuments() async throws {
            let server = try TestServer.shared
            let token = server.token(TestServer.newUser())
            var contents = Self.documents.values.map { $0 }
            // Thirty more notes, none about the sky.
            let fillers = ["invoices", "meetings", "holidays", "recipes", "laptops", "trains"]
            for index in 0..<30 {
                contents.append("Note \(index) about \(fillers[index % fillers.count]): remember to follow up with the team on Monday about item \(index).")
            }
            try await server.addIndexed(token: token, .json(["documents": contents.map { ["content": $0] }, "source": "crowd"]))
            let results = try await server.searchResults(token: token, "how do planets orbit the sun")
            #expect(results.first?["contextData"]?.string == Self.documents["astronomy"], "\(results.prefix(3))")
        }
    }
}
