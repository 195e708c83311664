/// The sentences an offline answer is chosen from: each is embedded to compare it with the
/// question, on the same model threads every search query needs.
///
/// Unbounded, 20 sources (a Q&A `limit` of 20 finds up to 20 memories and 20 context nodes)
/// of 20 sentences each made one request embed 800 sentences, a hundred forward passes,
/// ahead of everyone else's bulk work. `limit` keeps it to a few passes; the sources are
/// taken in turns, so each contributes its first sentences before any contributes more.
public enum AnswerCandidates {
    /// Sentences embedded for one answer: eight forward passes of eight texts.
    public static let limit = 64
    /// Sentences considered from any one source.
    public static let perSource = 20

    /// Up to `limit` sentences of `texts` (ranked sources, best first), as the index of the
    /// source each came from and the sentence; sentences under three characters are skipped.
    public static func pick(from texts: [String], limit: Int = AnswerCandidates.limit) -> [(source: Int, text: String)] {
        let sentences = texts.map { text in
            Array(FactExtractor.sentences(of: text).filter { $0.count >= 3 }.prefix(perSource))
        }
        var picked = [(source: Int, text: String)]()
        var round = 0
        while picked.count < limit, sentences.contains(where: { $0.count > round }) {
            for (source, candidates) in sentences.enumerated() where candidates.count > round && picked.count < limit {
                picked.append((source: source, text: candidates[round]))
            }
            round += 1
        }
        return picked
    }
}
