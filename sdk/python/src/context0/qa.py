"""Q&A over the user's memories and context: ask, and the history of answers."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Iterator

from ._http import JSON, compact
from ._resource import R, Resource, async_pages, pages


class QAAPI(Resource[R]):
    def ask(self, question: str, *, limit: int | None = None) -> R:
        """`{"id", "question", "answer", "mode", "citations": [{"type", "id", "snippet",
        "score", "similarity", "used"}], "created_at"}`; `limit` (1–20) sources of each kind."""
        return self._request("POST", "/qa/ask", json=compact({"question": question, "limit": limit}))

    def history(self, *, limit: int | None = None, skip: int | None = None) -> R:
        """One page of earlier questions and answers, newest first."""
        return self._request("GET", "/qa/history", params={"limit": limit, "skip": skip})


class QA(QAAPI[JSON]):
    def iterate_history(self, *, page_size: int = 100) -> Iterator[JSON]:
        return pages(lambda skip: self.history(limit=page_size, skip=skip))


class AsyncQA(QAAPI[Awaitable[JSON]]):
    def iterate_history(self, *, page_size: int = 100) -> AsyncIterator[JSON]:
        return async_pages(lambda skip: self.history(limit=page_size, skip=skip))
