import TestSupport
import Testing

/// Memory, chat, Q&A and job endpoints against a `TestServer` (the API in this process, a
/// real `context0-worker`) on a fresh database, with no language model configured.
/// Tests stay independent by using user ids of their own.
@Suite(.memoryServer(.offline), .timeLimit(.minutes(3)))
struct OfflineMemoryAPI {}

/// The same with the API and the worker talking to `ScriptedLLM`.
@Suite(.memoryServer(.llm), .timeLimit(.minutes(3)))
struct LLMMemoryAPI {}
