"""What every resource group shares: the request call, and paging through a list."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Generic, Iterator, TypeVar, cast

from ._http import JSON, AsyncTransport, Request, SyncTransport

R = TypeVar("R")
"""What a call returns: `JSON` for `Client`, `Awaitable[JSON]` for `AsyncClient`."""


class Resource(Generic[R]):
    """A group of endpoints. Its methods are written once: with the sync transport they
    return the answer's data, with the async transport an awaitable of it."""

    def __init__(self, transport: SyncTransport | AsyncTransport) -> None:
        self._transport = transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        envelope: bool = True,
    ) -> R:
        return cast(R, self._transport.request(Request(method, path, params, json, idempotent, envelope)))


def pages(fetch: Callable[[int], JSON], skip: int = 0) -> Iterator[JSON]:
    """Every item of a `{"items", "total", "limit", "skip"}` list, page after page."""
    while True:
        page = fetch(skip)
        items = page["items"]
        yield from items
        skip += len(items)
        if not items or skip >= page["total"]:
            return


async def async_pages(fetch: Callable[[int], Awaitable[JSON]], skip: int = 0) -> AsyncIterator[JSON]:
    """`pages` for the async client."""
    while True:
        page = await fetch(skip)
        items = page["items"]
        for item in items:
            yield item
        skip += len(items)
        if not items or skip >= page["total"]:
            return
