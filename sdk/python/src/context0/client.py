"""`Client` and `AsyncClient`: the configuration and one attribute per resource group."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, Mapping

import httpx

from ._http import DEFAULT_BASE_URL, JSON, AsyncTransport, RateLimit, Request, SyncTransport
from .analytics import Analytics, AsyncAnalytics
from .billing import AsyncBilling, Billing
from .chat import AsyncChat, Chat
from .context import AsyncContext, Context
from .jobs import AsyncJobs, Jobs
from .memories import AsyncMemories, Memories
from .qa import QA, AsyncQA
from .webhooks import AsyncWebhooks, Webhooks


def settings(
    api_key: str | None,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    backoff: float,
    max_backoff: float,
    max_retry_wait: float,
    retry_non_idempotent: bool,
    headers: Mapping[str, str] | None,
) -> tuple[Any, ...]:
    """The transport's arguments, with `CONTEXT0_API_KEY` / `CONTEXT0_BASE_URL` as fallbacks."""
    return (
        api_key if api_key is not None else os.environ.get("CONTEXT0_API_KEY"),
        base_url or os.environ.get("CONTEXT0_BASE_URL") or DEFAULT_BASE_URL,
        timeout, max_retries, backoff, max_backoff, max_retry_wait, retry_non_idempotent, headers,
    )


class Client:
    """The Context0 API, synchronously.

    `api_key` is an API key or a JWT (sent as `Authorization: Bearer …`); `base_url`
    defaults to `http://localhost:8000/api/v1`; `timeout` is per attempt, in seconds;
    `max_retries` bounds the retries of 429, 5xx and network failures (see `_http` for
    which requests are repeated); backoff starts at `backoff` seconds and doubles up to
    `max_backoff`, with jitter; a 429 asking to wait longer than `max_retry_wait` seconds is
    raised at once. After each call `rate_limit` holds the latest `X-RateLimit-*` values.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_wait: float = 60.0,
        retry_non_idempotent: bool = False,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._transport = SyncTransport(
            *settings(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_wait, retry_non_idempotent, headers),
            http_client=http_client,
        )
        self.context = Context(self._transport)
        self.memories = Memories(self._transport)
        self.chat = Chat(self._transport)
        self.qa = QA(self._transport)
        self.analytics = Analytics(self._transport)
        self.billing = Billing(self._transport)
        self.webhooks = Webhooks(self._transport)
        self.jobs = Jobs(self._transport)

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit headers of the latest authenticated answer (None before one)."""
        return self._transport.rate_limit

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def ping(self) -> JSON:
        """`{"version", "database"}`; needs no token."""
        result: JSON = self._transport.request(Request("GET", "/ping"))
        return result

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


class AsyncClient:
    """The Context0 API with `async`/`await`; the same options and methods as `Client`."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_wait: float = 60.0,
        retry_non_idempotent: bool = False,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._transport = AsyncTransport(
            *settings(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_wait, retry_non_idempotent, headers),
            http_client=http_client,
        )
        self.context = AsyncContext(self._transport)
        self.memories = AsyncMemories(self._transport)
        self.chat = AsyncChat(self._transport)
        self.qa = AsyncQA(self._transport)
        self.analytics = AsyncAnalytics(self._transport)
        self.billing = AsyncBilling(self._transport)
        self.webhooks = AsyncWebhooks(self._transport)
        self.jobs = AsyncJobs(self._transport)

    @property
    def rate_limit(self) -> RateLimit | None:
        return self._transport.rate_limit

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def ping(self) -> JSON:
        result: JSON = await self._transport.request(Request("GET", "/ping"))
        return result

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        await self.close()
