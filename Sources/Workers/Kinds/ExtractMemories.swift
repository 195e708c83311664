import Core
import Jobs

/// `memory.extract`: see `MemoryExtraction`.
struct ExtractMemories: Sendable {
    let extraction: MemoryExtraction

    func run(_ job: ExtractMemoriesJob, context: JobContext) async throws -> JobOutcome? {
        let summary = try await extraction.run(job)
        context.logger.info("memories extracted", metadata: [
            "added": "\(summary.added)", "refined": "\(summary.refined)", "superseded": "\(summary.superseded)",
            "duplicates": "\(summary.duplicates)", "mode": "\(summary.mode)",
        ])
        return .completed
    }
}
