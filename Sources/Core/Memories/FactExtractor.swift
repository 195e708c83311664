import Foundation

/// Offline memory extraction: durable facts are the user's own first-person statements
/// about themselves ("I live in Lisbon.", "My daughter is called Ana.", "I don't eat meat."),
/// not questions, requests or small talk. Each such sentence becomes one fact, as written.
public enum FactExtractor {
    /// Openings of a sentence that states something lasting about the speaker.
    static let openings = [
        "i am ", "i'm ", "im ", "i work", "i live", "i lived", "i moved", "i like", "i love", "i enjoy", "i hate",
        "i dislike", "i prefer", "i don't", "i do not", "i dont", "i no longer", "i never", "i always", "i usually",
        "i have ", "i've ", "i had ", "i was born", "i grew up", "i study", "i studied", "i speak", "i use ", "i own",
        "i play", "i drive", "i eat", "i drink", "i can't", "i cannot", "i'm allergic", "i am allergic", "i want",
        "i plan", "i'd like", "i would like", "i need", "i got", "i started", "i stopped", "i quit", "i married",
        "my ", "mine is", "we live", "we have", "our ",
    ]

    /// Facts in `text`, in order, without repeats.
    public static func facts(in text: String) -> [String] {
        var seen = Set<String>()
        return sentences(of: text).compactMap(fact(from:)).filter { seen.insert($0.lowercased()).inserted }
    }

    static func fact(from sentence: String) -> String? {
        let trimmed = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = trimmed.lowercased().replacingOccurrences(of: "’", with: "'")
        guard !trimmed.hasSuffix("?"), trimmed.split(separator: " ").count >= 2, trimmed.count <= 300,
              openings.contains(where: { lower.hasPrefix($0) })
        else { return nil }
        var fact = trimmed.prefix(1).uppercased() + trimmed.dropFirst()
        if let last = fact.last, !".!".contains(last) { fact += "." }
        return fact
    }

    static func sentences(of text: String) -> [String] {
        SentenceSegmenter.sentences(of: text)
    }
}

/// How a new fact relates to the user's memories, and what to do.
public enum ReconcileDecision: Sendable, Equatable {
    /// Nothing like it is known: add it.
    case add
    /// It says the same as this memory: do nothing.
    case duplicate(of: UUID)
    /// It says more about the same thing: update this memory with the new text.
    case refine(UUID)
    /// It contradicts this memory: add it and end the old one's validity.
    case contradict(UUID)
}

/// Offline reconciliation rules, applied to the most similar existing memories, in order:
/// - same polarity and the same words (ignoring case and punctuation), or cosine ≥ 0.95:
///   a duplicate;
/// - same polarity, cosine ≥ 0.75, and the new fact contains every word of the old one and
///   more ("I work at Acme" → "I work at Acme as a nurse"): a refinement;
/// - cosine ≥ 0.6 and one is the negation of the other ("I like X" / "I don't like X"), or
///   cosine ≥ 0.45 and both fill the same slot with different values ("My favourite colour
///   is blue" / "… is green", "I live in Paris" / "I live in Berlin", which MiniLM scores
///   0.58): a contradiction;
/// - otherwise: new.
public enum MemoryReconciler {
    /// What to do with `fact`, given the user's memories most like it and their cosine similarity
    /// to it; the most similar candidate that matches a rule decides.
    public static func decide(fact: String, candidates: [(id: UUID, text: String, similarity: Double)]) -> ReconcileDecision {
        let words = contentWords(fact)
        for candidate in candidates.sorted(by: { $0.similarity > $1.similarity }) {
            let old = contentWords(candidate.text)
            let samePolarity = negated(fact) == negated(candidate.text)
            if samePolarity, old == words || candidate.similarity >= 0.95 { return .duplicate(of: candidate.id) }
            if samePolarity, candidate.similarity >= 0.75, old.isSubset(of: words), words.count > old.count { return .refine(candidate.id) }
            if candidate.similarity >= 0.6, !samePolarity { return .contradict(candidate.id) }
            if candidate.similarity >= 0.45, samePolarity, sameSlotDifferentValue(fact, candidate.text) { return .contradict(candidate.id) }
        }
        return .add
    }

    static let negations: Set<String> = ["not", "don't", "dont", "doesn't", "never", "no", "isn't", "aren't", "can't", "cannot", "won't", "longer"]

    static func tokens(_ text: String) -> [String] {
        text.lowercased().replacingOccurrences(of: "’", with: "'")
            .split { !($0.isLetter || $0.isNumber || $0 == "'") }.map(String.init)
    }

    static func contentWords(_ text: String) -> Set<String> {
        Set(tokens(text).filter { !negations.contains($0) })
    }

    static func negated(_ text: String) -> Bool {
        tokens(text).contains { negations.contains($0) }
    }

    /// "my favourite colour is blue" and "my favourite colour is green": the words up to and
    /// including the verb agree, the rest differs.
    static func sameSlotDifferentValue(_ a: String, _ b: String) -> Bool {
        let verbs: Set<String> = ["is", "are", "was", "in", "at", "as", "for", "called", "named"]
        let left = tokens(a)
        let right = tokens(b)
        guard let slotEnd = left.firstIndex(where: verbs.contains), slotEnd >= 1, slotEnd < left.count - 1,
              right.count > slotEnd + 1, Array(left[...slotEnd]) == Array(right[...slotEnd])
        else { return false }
        return Array(left[(slotEnd + 1)...]) != Array(right[(slotEnd + 1)...])
    }
}
