"""The Chat API: sessions, their messages, replies with memory, memory extraction."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Iterator, Mapping

from ._http import JSON, compact, path
from ._resource import R, Resource, async_pages, pages


class ChatAPI(Resource[R]):
    def create_session(
        self, *, title: str | None = None, auto_extract: bool | None = None, metadata: Mapping[str, Any] | None = None
    ) -> R:
        """A new session (201). With `auto_extract` (the default) every message queues
        memory extraction."""
        return self._request("POST", "/chat/sessions", json=compact({"title": title, "auto_extract": auto_extract, "metadata": metadata}))

    def list_sessions(self, *, limit: int | None = None, skip: int | None = None) -> R:
        """One page of sessions: `{"items", "total", "limit", "skip"}`."""
        return self._request("GET", "/chat/sessions", params={"limit": limit, "skip": skip})

    def list_messages(self, session_id: str, *, limit: int | None = None, skip: int | None = None) -> R:
        """One page of a session's messages, oldest first."""
        return self._request("GET", path("chat", "sessions", session_id, "messages"), params={"limit": limit, "skip": skip})

    def send_message(self, session_id: str, content: str) -> R:
        """Stores the message and the reply (201): `{"user_message", "assistant_message",
        "mode", "memories_used", "context_used", "extraction_job_id"}`."""
        return self._request("POST", path("chat", "sessions", session_id, "messages"), json={"content": content})

    def extract_memories(self, session_id: str) -> R:
        """Queues extraction from the session's unprocessed messages (202):
        `{"job_id", "session_id"}`; follow it with `jobs.wait(job_id)`."""
        return self._request("POST", path("chat", "sessions", session_id, "extract-memories"), idempotent=True)


class Chat(ChatAPI[JSON]):
    def iterate_sessions(self, *, page_size: int = 100) -> Iterator[JSON]:
        return pages(lambda skip: self.list_sessions(limit=page_size, skip=skip))

    def iterate_messages(self, session_id: str, *, page_size: int = 100) -> Iterator[JSON]:
        return pages(lambda skip: self.list_messages(session_id, limit=page_size, skip=skip))


class AsyncChat(ChatAPI[Awaitable[JSON]]):
    def iterate_sessions(self, *, page_size: int = 100) -> AsyncIterator[JSON]:
        return async_pages(lambda skip: self.list_sessions(limit=page_size, skip=skip))

    def iterate_messages(self, session_id: str, *, page_size: int = 100) -> AsyncIterator[JSON]:
        return async_pages(lambda skip: self.list_messages(session_id, limit=page_size, skip=skip))
