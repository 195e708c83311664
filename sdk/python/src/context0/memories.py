"""The Memory API: `/memories` create, get, update, delete, list (and page through all),
search and batch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, AsyncIterator, Awaitable, Iterator, Mapping, Sequence

from ._http import JSON, compact, path
from ._resource import R, Resource, async_pages, pages

DateLike = date | datetime | str


class MemoriesAPI(Resource[R]):
    def create(
        self,
        text: str,
        *,
        category: str | None = None,
        emotion: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        source: str | None = None,
    ) -> R:
        """The new memory (201) with `enrichment: "pending"` and the `job_id` that embeds it
        and infers its category and emotion when not given."""
        body = compact({"text": text, "category": category, "emotion": emotion, "tags": tags, "metadata": metadata, "source": source})
        return self._request("POST", "/memories", json=body)

    def get(self, memory_id: str) -> R:
        """The memory with its `history` of earlier versions."""
        return self._request("GET", path("memories", memory_id))

    def update(
        self,
        memory_id: str,
        *,
        text: str | None = None,
        category: str | None = None,
        emotion: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> R:
        """A new version; the replaced one stays in the history with `reason`."""
        body = compact({"text": text, "category": category, "emotion": emotion, "tags": tags, "metadata": metadata, "reason": reason})
        return self._request("PUT", path("memories", memory_id), json=body)

    def delete(self, memory_id: str) -> R:
        """`{"id", "deleted": true}`; the memory stays in the history."""
        return self._request("DELETE", path("memories", memory_id))

    def list(
        self,
        *,
        limit: int | None = None,
        skip: int | None = None,
        category: str | None = None,
        emotion: str | None = None,
        source: str | None = None,
        tags: Sequence[str] | str | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        sort_by: str | None = None,
        order: str | None = None,
    ) -> R:
        """One page: `{"items", "total", "limit", "skip"}`. `tags` must all match; an end
        date includes its whole day; `sort_by` is `created_at|updated_at|category|emotion`."""
        params = {
            "limit": limit, "skip": skip, "category": category, "emotion": emotion, "source": source, "tags": tags,
            "start_date": start_date, "end_date": end_date, "sort_by": sort_by, "order": order,
        }
        return self._request("GET", "/memories", params=params)

    def search(
        self,
        query: str,
        *,
        limit: int | None = None,
        threshold: float | None = None,
        category: str | None = None,
        emotion: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> R:
        """`{"results": [memory + "similarity", "score"], "query"}`; `threshold` is the
        lowest cosine similarity kept (server default 0.3)."""
        body = compact({"query": query, "limit": limit, "threshold": threshold, "category": category, "emotion": emotion, "tags": tags})
        return self._request("POST", "/memories/search", json=body, idempotent=True)

    def batch(self, operations: Sequence[Mapping[str, Any]]) -> R:
        """Up to 100 `{"op": "create", …}`, `{"op": "update", "id", …}`, `{"op": "delete",
        "id"}`, each on its own: `{"results": [{"index", "op", "success", "id"|"error"}],
        "succeeded", "failed"}`."""
        return self._request("POST", "/memories/batch", json={"operations": [dict(op) for op in operations]})


class Memories(MemoriesAPI[JSON]):
    def iterate(self, *, page_size: int = 100, **filters: Any) -> Iterator[JSON]:
        """Every memory matching `list`'s filters, fetching `page_size` at a time."""
        start = filters.pop("skip", None) or 0
        return pages(lambda skip: self.list(limit=page_size, skip=skip, **filters), start)


class AsyncMemories(MemoriesAPI[Awaitable[JSON]]):
    def iterate(self, *, page_size: int = 100, **filters: Any) -> AsyncIterator[JSON]:
        """`async for memory in client.memories.iterate(category="work")`."""
        start = filters.pop("skip", None) or 0
        return async_pages(lambda skip: self.list(limit=page_size, skip=skip, **filters), start)
