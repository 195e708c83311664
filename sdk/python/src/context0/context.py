"""The Context API: `/context/add`, `/search`, `/delete`, `/view`, `/view/docs`.

Its answers are plain JSON bodies (no Context0 envelope) and its errors
`{"response", "error"}`; both are handled in the transport.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Iterable, Mapping, Sequence

import anyio

from ._http import JSON, compact
from ._resource import R, Resource
from .errors import Context0Error, WaitTimeoutError

Document = Mapping[str, Any] | str
"""`{"content", "fileName"?, "fileType"?, "fileSize"?, "lastModified"?}`, or just the content."""


class ContextAPI(Resource[R]):
    def add(
        self,
        documents: Sequence[Document],
        *,
        source: str | None = None,
        context_type: str | None = None,
        scope: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        chained: bool | None = None,
        user_id: str | None = None,
        organization_id: str | None = None,
    ) -> R:
        """Stores 1–100 documents (201); indexing follows in workers (see
        `wait_until_indexed`). Re-adding an identical document is not stored twice, so this
        call is safe to retry."""
        body = compact({
            "documents": [{"content": doc} if isinstance(doc, str) else dict(doc) for doc in documents],
            "source": source, "context_type": context_type, "scope": scope, "metadata": metadata,
            "chained": chained, "user_id": user_id, "organization_id": organization_id,
        })
        return self._request("POST", "/context/add", json=body, idempotent=True, envelope=False)

    def search(
        self,
        query: str,
        *,
        similarity_threshold: float = 1.0,
        minimum_similarity_threshold: float = 0.0,
        scope: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        limit: int | None = None,
        user_id: str | None = None,
    ) -> R:
        """`{"results": [{"contextId", "contextData", "documentId", "source", "similarity",
        "score", "metadata"}]}`, best first, with cosine similarity between the two thresholds."""
        body = compact({
            "query": query, "similarity_threshold": similarity_threshold,
            "minimum_similarity_threshold": minimum_similarity_threshold, "scope": scope,
            "metadata": metadata, "limit": limit, "user_id": user_id,
        })
        return self._request("POST", "/context/search", json=body, idempotent=True, envelope=False)

    def delete(
        self,
        source: str,
        *,
        by_doc: bool | None = None,
        by_id: bool | None = None,
        user_id: str | None = None,
        organization_id: str | None = None,
    ) -> R:
        """Deletes by source or file name (`by_doc`, the default) or by document/node id
        (`by_id=True`). The server answers 204: this returns `{}`."""
        body = compact({"source": source, "by_doc": by_doc, "by_id": by_id, "user_id": user_id, "organization_id": organization_id})
        return self._request("POST", "/context/delete", json=body, idempotent=True, envelope=False)

    def view(self, *, source: str | None = None, limit: int | None = None, offset: int | None = None) -> R:
        """`{"context": [node…], "total", "limit", "offset"}`: the caller's context nodes."""
        return self._request("GET", "/context/view", params={"source": source, "limit": limit, "offset": offset}, envelope=False)

    def view_docs(self, *, limit: int | None = None, offset: int | None = None) -> R:
        """`{"documents": [document…], "total", "limit", "offset"}` with each document's
        `state` (`pending`, `chunked`, `indexed`, `failed`)."""
        return self._request("GET", "/context/view/docs", params={"limit": limit, "offset": offset}, envelope=False)


def document_ids(added: Mapping[str, Any] | Iterable[str]) -> set[str]:
    """The ids of an `add()` answer, or the ids themselves."""
    if isinstance(added, Mapping):
        return {document["id"] for document in added["documents"]}
    return set(added)


def indexed_or_none(wanted: set[str], documents: Iterable[JSON]) -> list[JSON] | None:
    """The wanted documents once every one is indexed, else None; raises for a failed one."""
    found = {document["id"]: document for document in documents if document["id"] in wanted}
    for document in found.values():
        if document["state"] == "failed":
            raise Context0Error(f"document {document['id']} failed to index")
    if len(found) == len(wanted) and all(document["indexed"] for document in found.values()):
        return [found[id] for id in sorted(wanted)]
    return None


class Context(ContextAPI[JSON]):
    def wait_until_indexed(
        self, added: Mapping[str, Any] | Iterable[str], *, timeout: float = 60.0, poll_interval: float = 0.5
    ) -> list[JSON]:
        """Waits until the documents of an `add()` answer (or these document ids) are
        indexed, i.e. found by `search`; returns their `view_docs` records."""
        wanted, deadline, last = document_ids(added), time.monotonic() + timeout, None
        while True:
            last = self._all_documents()
            done = indexed_or_none(wanted, last)
            if done is not None:
                return done
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(f"documents not indexed after {timeout} s", last)
            time.sleep(poll_interval)

    def _all_documents(self) -> list[JSON]:
        documents: list[JSON] = []
        while True:
            page = self.view_docs(limit=500, offset=len(documents))
            documents += page["documents"]
            if not page["documents"] or len(documents) >= page["total"]:
                return documents


class AsyncContext(ContextAPI[Awaitable[JSON]]):
    async def wait_until_indexed(
        self, added: Mapping[str, Any] | Iterable[str], *, timeout: float = 60.0, poll_interval: float = 0.5
    ) -> list[JSON]:
        """See `Context.wait_until_indexed`."""
        wanted, deadline = document_ids(added), time.monotonic() + timeout
        while True:
            last = await self._all_documents()
            done = indexed_or_none(wanted, last)
            if done is not None:
                return done
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(f"documents not indexed after {timeout} s", last)
            await anyio.sleep(poll_interval)

    async def _all_documents(self) -> list[JSON]:
        documents: list[JSON] = []
        while True:
            page = await self.view_docs(limit=500, offset=len(documents))
            documents += page["documents"]
            if not page["documents"] or len(documents) >= page["total"]:
                return documents
