import Core
import Testing

/// An offline answer embeds a bounded number of sentences, taken from every source in turn.
@Suite struct AnswerCandidatesTests {
    /// `count` sentences, each naming its source and place.
    static func text(source: Int, sentences count: Int) -> String {
        (0..<count).map { "Source \(source) says thing \($0)." }.joined(separator: " ")
    }

    /// A Q&A limit of 20 retrieves up to 20 memories and 20 context nodes: 40 sources.
    @Test func fortySourcesOfTwentySentencesYieldAtMostTheLimit() {
        let texts = (0..<40).map { Self.text(source: $0, sentences: 20) }
        let picked = AnswerCandidates.pick(from: texts)
        #expect(picked.count == AnswerCandidates.limit)
        // Every source's first sentence comes before any source's second.
        #expect(picked.prefix(40).map(\.source) == Array(0..<40))
        #expect(picked.prefix(40).map(\.text) == (0..<40).map { "Source \($0) says thing 0." })
        #expect(picked.dropFirst(40).map(\.source) == Array(0..<24))
        #expect(picked.dropFirst(40).allSatisfy { $0.text == "Source \($0.source) says thing 1." })
    }

    @Test func fewSentencesAreAllTakenAndShortOnesSkipped() {
        let picked = AnswerCandidates.pick(from: ["One fact here. A! Another fact here.", "", "A third fact."])
        #expect(picked.map(\.text) == ["One fact here.", "A third fact.", "Another fact here."])
        #expect(picked.map(\.source) == [0, 2, 0])
    }

    @Test func noSourceGivesMoreThanTwentySentences() {
        let picked = AnswerCandidates.pick(from: [Self.text(source: 0, sentences: 50)], limit: 100)
        #expect(picked.count == AnswerCandidates.perSource)
    }
}
