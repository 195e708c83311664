import Testing

/// Memory, chat, Q&A and job endpoints over real HTTP, against a real `context0-api` and a
/// real `context0-worker` on a fresh database, with no language model configured.
/// Tests stay independent by using user ids of their own.
@Suite(.memoryServer(.offline), .timeLimit(.minutes(3)))
struct OfflineMemoryAPI {}

/// The same server configured with `LLM_BASE_URL` pointing at `ScriptedLLM`.
@Suite(.memoryServer(.llm), .timeLimit(.minutes(3)))
struct LLMMemoryAPI {}
