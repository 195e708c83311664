"""The Webhook API: register, list, get, delete, re-enable and test webhooks, and read
their delivery log. `verify` checks a delivery's signature (see `signatures`)."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Iterator, Sequence

from ._http import JSON, compact, path
from ._resource import R, Resource, async_pages, pages
from .signatures import verify_webhook


class WebhooksAPI(Resource[R]):
    verify = staticmethod(verify_webhook)

    def create(self, url: str, events: Sequence[str], *, description: str | None = None) -> R:
        """The new webhook (201) with its `secret`, shown only here. `events` are names from
        the catalogue (`memory.created`, `context.indexed`, …) or `["*"]`."""
        return self._request("POST", "/webhooks", json=compact({"url": url, "events": list(events), "description": description}))

    def list(self, *, limit: int | None = None, skip: int | None = None) -> R:
        """One page of webhooks, newest first: `{"items", "total", "limit", "skip"}`."""
        return self._request("GET", "/webhooks", params={"limit": limit, "skip": skip})

    def get(self, webhook_id: str) -> R:
        return self._request("GET", path("webhooks", webhook_id))

    def delete(self, webhook_id: str) -> R:
        """`{"id", "deleted": true}`; pending deliveries are cancelled."""
        return self._request("DELETE", path("webhooks", webhook_id))

    def enable(self, webhook_id: str) -> R:
        """Turns a disabled webhook back on with its failure count reset."""
        return self._request("POST", path("webhooks", webhook_id, "enable"), idempotent=True)

    def test(self, webhook_id: str) -> R:
        """Sends a `webhook.test` event to this webhook only (202): `{"event_id",
        "delivery_id", "job_id"}`."""
        return self._request("POST", path("webhooks", webhook_id, "test"))

    def deliveries(
        self, webhook_id: str, *, limit: int | None = None, skip: int | None = None, status: str | None = None
    ) -> R:
        """The delivery log, newest first; `status` one of `pending`, `retrying`,
        `delivered`, `failed`, `cancelled`."""
        params = {"limit": limit, "skip": skip, "status": status}
        return self._request("GET", path("webhooks", webhook_id, "deliveries"), params=params)


class Webhooks(WebhooksAPI[JSON]):
    def iterate(self, *, page_size: int = 100) -> Iterator[JSON]:
        return pages(lambda skip: self.list(limit=page_size, skip=skip))


class AsyncWebhooks(WebhooksAPI[Awaitable[JSON]]):
    def iterate(self, *, page_size: int = 100) -> AsyncIterator[JSON]:
        return async_pages(lambda skip: self.list(limit=page_size, skip=skip))
