import Core
import Foundation

/// How memories appear in responses.
enum MemoryViews {
    static func memory(_ memory: Memory) -> [String: Any] {
        [
            "id": memory.id.uuidString.lowercased(),
            "text": memory.text,
            "category": memory.category ?? NSNull(),
            "category_confidence": memory.categoryConfidence.map(rounded) ?? NSNull(),
            "emotion": memory.emotion ?? NSNull(),
            "emotion_confidence": memory.emotionConfidence.map(rounded) ?? NSNull(),
            "tags": memory.tags,
            "metadata": jsonObject(memory.metadata),
            "source": memory.source.rawValue,
            "source_refs": jsonObject(memory.sourceRefs),
            "enrichment": memory.enrichment,
            "version": memory.version,
            "valid_from": JSONResponse.time(memory.validFrom),
            "valid_until": JSONResponse.time(memory.validUntil),
            "created_at": JSONResponse.time(memory.createdAt),
            "updated_at": JSONResponse.time(memory.updatedAt),
        ]
    }

    /// Confidences are stored as `real`; three decimals is all they mean.
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    static func history(_ entry: MemoryHistoryEntry) -> [String: Any] {
        [
            "version": entry.version, "change": entry.change, "reason": entry.reason ?? NSNull(), "text": entry.text,
            "category": entry.category ?? NSNull(), "emotion": entry.emotion ?? NSNull(), "tags": entry.tags,
            "valid_until": JSONResponse.time(entry.validUntil), "changed_at": JSONResponse.time(entry.changedAt),
        ]
    }

    static func hit(_ hit: MemoryHit) -> [String: Any] {
        var view = memory(hit.memory)
        view["similarity"] = hit.similarity ?? NSNull()
        view["score"] = hit.score
        return view
    }

    static func jsonObject(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? NSNull()
    }

    /// `{"items", "total", "limit", "skip"}`, the spec's pagination shape.
    static func page(_ items: [[String: Any]], total: Int, limit: Int, skip: Int) -> [String: Any] {
        ["items": items, "total": total, "limit": limit, "skip": skip]
    }
}
