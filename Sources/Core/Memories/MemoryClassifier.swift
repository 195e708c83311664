import Foundation
import Embedding

/// Infers a memory's category and emotion without an LLM: the memory's embedding is
/// compared with the embeddings of short descriptions of each category and emotion; the
/// closest wins, with a confidence from a softmax over the similarities. Below a floor of
/// similarity the answer is `other` / `neutral`. Deterministic for a given model.
public struct MemoryClassifier: Sendable {
    public static let categories: [(name: String, description: String)] = [
        ("work", "job, career, office, colleagues, meetings, projects, employer, deadlines"),
        ("personal", "personal life, identity, home, daily routine, where I live, my name and age"),
        ("health", "health, illness, allergies, doctor, medicine, exercise, sleep, diet restrictions"),
        ("finance", "money, salary, budget, bank, investments, savings, expenses, debt"),
        ("travel", "travel, trips, vacation, flights, hotels, countries and cities visited"),
        ("food", "food, cooking, restaurants, favourite dishes, drinks, cuisine, eating habits"),
        ("hobbies", "hobbies, sports, music, games, reading, movies, free time activities"),
        ("relationships", "family, partner, friends, children, parents, relationships with people"),
        ("learning", "learning, studying, school, university, courses, languages, skills"),
        ("preferences", "likes and dislikes, favourite things, preferences, opinions, tastes"),
    ]

    public static let emotions: [(name: String, description: String)] = [
        ("happy", "happy, joyful, glad, delighted, pleased, cheerful"),
        ("excited", "excited, thrilled, eager, can't wait, enthusiastic"),
        ("grateful", "grateful, thankful, appreciative"),
        ("sad", "sad, unhappy, disappointed, heartbroken, lonely, miss"),
        ("angry", "angry, annoyed, frustrated, furious, irritated, hate"),
        ("anxious", "anxious, worried, nervous, stressed, afraid, scared"),
        ("neutral", "a plain neutral statement of fact"),
    ]

    static let categoryFloor: Float = 0.12
    static let emotionFloor: Float = 0.18

    private let categoryVectors: [[Float]]
    private let emotionVectors: [[Float]]

    /// Embeds the descriptions once; share the result.
    public init(embedder: any Embedder) async throws {
        categoryVectors = try await embedder.embed(Self.categories.map(\.description))
        emotionVectors = try await embedder.embed(Self.emotions.map(\.description))
    }

    /// The closest category of an embedding from the same model, and a confidence in 0...1;
    /// `other` when none is close enough.
    public func category(of embedding: [Float]) -> (String, Double) {
        Self.classify(embedding, Self.categories.map(\.name), categoryVectors, floor: Self.categoryFloor, fallback: "other")
    }

    /// The closest emotion of an embedding from the same model, and a confidence in 0...1;
    /// `neutral` when none is close enough.
    public func emotion(of embedding: [Float]) -> (String, Double) {
        Self.classify(embedding, Self.emotions.map(\.name), emotionVectors, floor: Self.emotionFloor, fallback: "neutral")
    }

    static func classify(_ embedding: [Float], _ names: [String], _ vectors: [[Float]], floor: Float, fallback: String) -> (String, Double) {
        let similarities = vectors.map { vector in zip(vector, embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        guard let best = similarities.indices.max(by: { similarities[$0] < similarities[$1] }) else { return (fallback, 0) }
        // Softmax with a low temperature: sharp when one class stands out.
        let exponentials = similarities.map { exp(Double($0 - similarities[best]) / 0.05) }
        let confidence = 1 / exponentials.reduce(0, +)
        guard similarities[best] >= floor else { return (fallback, (1 - confidence) * 0.5) }
        return (names[best], (confidence * 1000).rounded() / 1000)
    }
}
