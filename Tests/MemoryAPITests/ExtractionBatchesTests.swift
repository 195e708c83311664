import Core
import Testing

/// How LLM extraction cuts a conversation into prompts: no batch's text exceeds its budget,
/// nothing is lost, and sentences stay whole where they can.
@Suite struct ExtractionBatchesTests {
    @Test func statementsShareABatchUntilTheBudgetIsFull() {
        let statements = (0..<5).map { String(repeating: "\($0)", count: 97) }
        let batches = ExtractionBatches.batches(of: statements, budget: 250)
        #expect(batches == [Array(statements[0..<2]), Array(statements[2..<4]), [statements[4]]])
        #expect(batches.allSatisfy { ExtractionBatches.lines($0).count <= 250 })
    }

    @Test func anOverLongStatementIsSplitAfterWholeSentences() {
        let sentences = (10..<40).map { "Sentence number \($0) is here." }
        let text = sentences.joined(separator: " ")
        let batches = ExtractionBatches.batches(of: [text], budget: 300)
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { ExtractionBatches.lines($0).count <= 300 }, "\(batches.map { ExtractionBatches.lines($0).count })")
        let pieces = batches.flatMap { $0 }
        #expect(pieces.joined(separator: " ") == text, "nothing is lost but the spaces cut at")
        for sentence in sentences {
            #expect(pieces.contains { $0.contains(sentence) }, "\(sentence) stays whole")
        }
    }

    @Test func textWithoutSpacesIsCutAtTheLimit() {
        let text = String(repeating: "y", count: 1000)
        let batches = ExtractionBatches.batches(of: [text], budget: 300)
        #expect(batches.allSatisfy { ExtractionBatches.lines($0).count <= 300 })
        #expect(batches.flatMap { $0 }.joined() == text)
    }

    @Test func blankStatementsAreLeftOut() {
        #expect(ExtractionBatches.batches(of: ["", "   ", "I am here."], budget: 300) == [["I am here."]])
    }
}
