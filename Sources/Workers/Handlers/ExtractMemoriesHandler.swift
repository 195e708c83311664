import Core
import Jobs
import LLM

/// `memory.extract`: see `MemoryExtraction`.
struct ExtractMemoriesHandler: JobHandler {
    let extraction: MemoryExtraction

    func run(_ job: ExtractMemoriesArgs, context: JobContext) async throws -> JobOutcome {
        let summary: ExtractionSummary
        do {
            summary = try await extraction.run(job)
        } catch let error as LLMError where error.isFinal {
            // The model's service refused the request itself (a prompt it will not take, a bad
            // key, an unknown model): every retry would be refused alike, and could cost.
            throw JobError.permanent(String(describing: error))
        }
        context.logger.info("memories extracted", metadata: [
            "added": "\(summary.added)", "refined": "\(summary.refined)", "superseded": "\(summary.superseded)",
            "duplicates": "\(summary.duplicates)", "mode": "\(summary.mode)",
        ])
        return .completed
    }
}
