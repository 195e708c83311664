"""The one place requests are made: the bearer token, JSON in and out, retries with
exponential backoff and jitter, typed errors and the rate-limit state.

Retry policy (the same in the JavaScript SDK):

* `429` is always retried: the server refused the request, so nothing happened. The wait
  is the answer's `Retry-After` (else until `X-RateLimit-Reset`); when that is longer than
  `max_retry_wait` (default 60 s; the hourly limit can ask for up to an hour) the
  `RateLimitError` is raised at once instead.
* A connection that could not be opened is always retried: the request never left.
* `500`, `502`, `503`, `504`, time-outs and connections broken mid-request are retried
  only for requests that are safe to repeat: `GET`, `PUT`, `DELETE` and the `POST`s that
  are idempotent on this server (`context.add`, which de-duplicates, searches,
  `context.delete`, `extract_memories`, `webhooks.enable`). A `POST` that creates
  something (a memory, a batch, a chat message, a question, a webhook) may have been
  carried out before the failure, so it is not repeated unless the client was made with
  `retry_non_idempotent=True`.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Mapping
from urllib.parse import quote

import anyio
import httpx

from ._version import __version__
from .errors import APIConnectionError, APIError, APITimeoutError, RateLimitError, error_for_status

DEFAULT_BASE_URL = "http://localhost:8000/api/v1"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
JSON = dict[str, Any]


@dataclass(frozen=True)
class RateLimit:
    """The `X-RateLimit-*` headers of the latest authenticated answer."""

    limit: int
    remaining: int
    reset: int
    """Epoch second when the hourly window ends."""

    @property
    def reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.reset, tz=timezone.utc)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    idempotent: bool | None = None
    """Safe to repeat after a 5xx or a broken connection; None: decided by the method."""
    envelope: bool = True
    """Unwrap the Context0 envelope's `data` (False for the Context API's plain bodies)."""


def path(*parts: Any) -> str:
    """`/memories/{id}` with every part URL-escaped."""
    return "/" + "/".join(quote(str(part), safe="") for part in parts)


def query_value(value: Any) -> Any:
    """Dates as ISO 8601 (a naive datetime is taken as UTC), lists comma-separated."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def compact(values: Mapping[str, Any]) -> JSON:
    """The items that are not None (None means "not given")."""
    return {key: value for key, value in values.items() if value is not None}


class BaseTransport:
    """Configuration, request building, the retry decision and answer parsing, shared by
    the sync and the async transport (which differ only in how they wait and send)."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_backoff: float,
        max_retry_wait: float,
        retry_non_idempotent: bool,
        headers: Mapping[str, str] | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_wait = max_retry_wait
        self.retry_non_idempotent = retry_non_idempotent
        self.headers = {"Accept": "application/json", "User-Agent": f"context0-python/{__version__}", **(headers or {})}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.rate_limit: RateLimit | None = None

    def build(self, request: Request) -> dict[str, Any]:
        params = {key: query_value(value) for key, value in (request.params or {}).items() if value is not None}
        return {
            "method": request.method,
            "url": self.base_url + request.path,
            "params": params or None,
            "json": request.json,
            "headers": self.headers,
        }

    def may_repeat(self, request: Request) -> bool:
        idempotent = request.idempotent if request.idempotent is not None else request.method in SAFE_METHODS
        return idempotent or self.retry_non_idempotent

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: half the step plus a random half."""
        step = min(self.max_backoff, self.backoff * 2.0**attempt)
        return step / 2 + random.uniform(0, step / 2)

    def delay_after_response(self, request: Request, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up with this answer."""
        status = response.status_code
        if attempt >= self.max_retries:
            return None
        if status == 429:
            wait = retry_after(response)
            if wait is None:
                return self.backoff_delay(attempt)
            return None if wait > self.max_retry_wait else wait + random.uniform(0, 0.1)
        if status in RETRY_STATUSES and self.may_repeat(request):
            wait = retry_after(response)
            return min(wait, self.max_retry_wait) if wait is not None else self.backoff_delay(attempt)
        return None

    def delay_after_error(self, request: Request, error: httpx.TransportError, attempt: int) -> float | None:
        if attempt >= self.max_retries:
            return None
        never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        return self.backoff_delay(attempt) if never_sent or self.may_repeat(request) else None

    def connection_error(self, request: Request, error: httpx.TransportError) -> APIConnectionError:
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        return kind(f"{request.method} {self.base_url}{request.path}: {type(error).__name__}: {error}")

    def parse(self, request: Request, response: httpx.Response) -> Any:
        """The answer's data (the envelope's `data`, the Context API's whole body, `{}` for
        `204`), or the typed error."""
        self.record_rate_limit(response)
        body = decode(response)
        if response.is_success:
            if body is None:
                return {}
            if request.envelope and isinstance(body, dict) and "success" in body and "data" in body:
                return body["data"]
            return body
        raise api_error(response, body)

    def record_rate_limit(self, response: httpx.Response) -> None:
        try:
            self.rate_limit = RateLimit(
                limit=int(response.headers["X-RateLimit-Limit"]),
                remaining=int(response.headers["X-RateLimit-Remaining"]),
                reset=int(response.headers["X-RateLimit-Reset"]),
            )
        except (KeyError, ValueError):
            pass


class SyncTransport(BaseTransport):
    def __init__(self, *args: Any, http_client: httpx.Client | None = None) -> None:
        super().__init__(*args)
        self.http = http_client or httpx.Client(timeout=self.timeout)

    def request(self, request: Request) -> Any:
        attempt = 0
        while True:
            try:
                response = self.http.request(**self.build(request))
            except httpx.TransportError as error:
                delay = self.delay_after_error(request, error, attempt)
                if delay is None:
                    raise self.connection_error(request, error) from error
            else:
                delay = self.delay_after_response(request, response, attempt)
                if delay is None:
                    return self.parse(request, response)
                self.record_rate_limit(response)
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self.http.close()


class AsyncTransport(BaseTransport):
    def __init__(self, *args: Any, http_client: httpx.AsyncClient | None = None) -> None:
        super().__init__(*args)
        self.http = http_client or httpx.AsyncClient(timeout=self.timeout)

    async def request(self, request: Request) -> Any:
        attempt = 0
        while True:
            try:
                response = await self.http.request(**self.build(request))
            except httpx.TransportError as error:
                delay = self.delay_after_error(request, error, attempt)
                if delay is None:
                    raise self.connection_error(request, error) from error
            else:
                delay = self.delay_after_response(request, response, attempt)
                if delay is None:
                    return self.parse(request, response)
                self.record_rate_limit(response)
            await anyio.sleep(delay)
            attempt += 1

    async def close(self) -> None:
        await self.http.aclose()


def decode(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` (seconds or an HTTP date), else the time left until `X-RateLimit-Reset`."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and response.status_code == 429:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


def api_error(response: httpx.Response, body: Any) -> APIError:
    """Reads either error shape: the Context0 envelope's `{"message", "error": {"code",
    "details", "field"}}` or the Context API's `{"response", "error": "CODE"}`."""
    status = response.status_code
    message = response.reason_phrase or f"HTTP {status}"
    code = field = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code, field = error.get("code"), error.get("field")
            message = error.get("details") or body.get("message") or message
        elif isinstance(error, str):
            code, message = error, body.get("response") or message
    elif isinstance(body, str) and body:
        message = body[:500]
    kind = error_for_status(status)
    common: dict[str, Any] = {"status": status, "code": code, "field": field, "body": body, "headers": dict(response.headers)}
    if kind is RateLimitError:
        return RateLimitError(message, retry_after=retry_after(response), **common)
    return kind(message, **common)
