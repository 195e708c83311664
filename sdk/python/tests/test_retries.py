"""Retries, backoff, time-outs and rate limits, through a local proxy that fails on
purpose before forwarding to the real API, and a second API process with tiny limits."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from conftest import LIMITED_BASE_URL, FlakyProxy, make_token
from context0 import APIConnectionError, APITimeoutError, Client, RateLimitError, ServerError

FAST = {"backoff": 0.05, "max_backoff": 0.2}


def test_get_is_retried_after_server_errors(proxy_factory, user: str) -> None:
    proxy: FlakyProxy = proxy_factory(["500", "503"])
    with Client(make_token(user), base_url=proxy.base_url, **FAST) as client:
        assert client.memories.list()["total"] == 0
    assert len(proxy.seen) == 3


def test_a_creating_post_is_not_repeated_after_a_server_error(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["500"])
    with Client(make_token(user), base_url=proxy.base_url, **FAST) as client:
        with pytest.raises(ServerError) as failed:
            client.memories.create(text="once")
        assert failed.value.status == 500 and failed.value.code == "INTERNAL_ERROR"
    assert len(proxy.seen) == 1


def test_retry_non_idempotent_repeats_a_creating_post(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["503"])
    with Client(make_token(user), base_url=proxy.base_url, retry_non_idempotent=True, **FAST) as client:
        assert client.memories.create(text="eventually")["text"] == "eventually"
    assert len(proxy.seen) == 2


def test_idempotent_posts_are_retried(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["503", "500"])
    with Client(make_token(user), base_url=proxy.base_url, **FAST) as client:
        assert client.memories.search("anything")["results"] == []
        assert client.context.add(["retried add"])["count"] == 1
    assert len(proxy.seen) == 4


def test_retries_stop_after_max_retries(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["503"] * 5)
    with Client(make_token(user), base_url=proxy.base_url, max_retries=2, **FAST) as client:
        with pytest.raises(ServerError):
            client.memories.list()
    assert len(proxy.seen) == 3


def test_a_dropped_connection_is_retried_only_when_safe(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["drop"])
    with Client(make_token(user), base_url=proxy.base_url, **FAST) as client:
        assert client.memories.list()["items"] == []
        assert len(proxy.seen) == 2
        proxy.plan = ["drop"]
        with pytest.raises(APIConnectionError):
            client.memories.create(text="maybe sent")
        assert len(proxy.seen) == 3


def test_a_timeout_repeats_a_get_but_not_a_create(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["slow"])
    with Client(make_token(user), base_url=proxy.base_url, timeout=0.5, **FAST) as client:
        assert client.memories.list()["total"] == 0
        proxy.plan = ["slow"]
        with pytest.raises(APITimeoutError):
            client.memories.create(text="slow create")
    assert len(proxy.seen) == 3
    # The timed-out create still reached the server: repeating it would have made two.
    with Client(make_token(user), base_url=str(proxy.upstream)) as direct:
        deadline = time.monotonic() + 10
        while direct.memories.list()["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert direct.memories.list()["total"] == 1


def test_connection_refused_is_retried_then_raised(user: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda request: attempts.append(request.method)]})
    with Client(make_token(user), base_url=f"http://127.0.0.1:{port}/api/v1", max_retries=2, http_client=http, **FAST) as client:
        with pytest.raises(APIConnectionError) as refused:
            client.memories.create(text="never sent")
    assert not isinstance(refused.value, APITimeoutError)
    assert attempts == ["POST"] * 3


def test_429_waits_for_retry_after(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["429"])
    with Client(make_token(user), base_url=proxy.base_url, **FAST) as client:
        started = time.monotonic()
        assert client.memories.create(text="after a 429")["text"] == "after a 429"
        assert time.monotonic() - started >= 1.0
    assert len(proxy.seen) == 2


def test_429_without_retries_raises_rate_limit_error(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["429"])
    with Client(make_token(user), base_url=proxy.base_url, max_retries=0) as client:
        with pytest.raises(RateLimitError) as limited:
            client.memories.list()
    assert limited.value.retry_after == 1.0 and limited.value.status == 429


def test_backoff_grows_with_jitter() -> None:
    client = Client("t", backoff=0.5, max_backoff=4)
    for attempt, step in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        delays = {client._transport.backoff_delay(attempt) for _ in range(20)}
        assert all(step / 2 <= delay <= step for delay in delays) and len(delays) > 1


@pytest.mark.skipif(not LIMITED_BASE_URL, reason="CONTEXT0_TEST_LIMITED_BASE_URL not set")
def test_rate_limit_state_and_the_real_429(user: str, whole_rate_window: None) -> None:
    with Client(make_token(user), base_url=LIMITED_BASE_URL, **FAST) as client:
        assert client.rate_limit is None
        remaining = []
        for _ in range(3):
            client.memories.list(limit=0)
            remaining.append(client.rate_limit.remaining)
        assert remaining == [2, 1, 0] and client.rate_limit.limit == 3
        assert client.rate_limit.reset > time.time() and client.rate_limit.reset_at.year >= 2025
        started = time.monotonic()
        with pytest.raises(RateLimitError) as limited:
            client.memories.list()
        assert time.monotonic() - started < 1, "an hour-long Retry-After is raised at once, not waited for"
        error = limited.value
        assert (error.status, error.code) == (429, "RATE_LIMIT_EXCEEDED")
        assert 0 < error.retry_after <= 3600 and error.headers["x-ratelimit-remaining"] == "0"
        # The Context API answers its own error shape; the code is read from it all the same.
        with pytest.raises(RateLimitError) as context_limited:
            client.context.view()
        assert context_limited.value.code == "RATE_LIMIT_EXCEEDED" and context_limited.value.message
        # Other classes have their own budget.
        assert client.memories.search("still allowed")["results"] == []


def test_retry_after_reads_seconds_dates_and_the_reset_header() -> None:
    from email.utils import formatdate

    from context0._http import retry_after

    assert retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
    in_ten = retry_after(httpx.Response(503, headers={"Retry-After": formatdate(time.time() + 10, usegmt=True)}))
    assert in_ten is not None and 8 <= in_ten <= 10
    reset = retry_after(httpx.Response(429, headers={"X-RateLimit-Reset": str(int(time.time()) + 5)}))
    assert reset is not None and 3 <= reset <= 5
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503, headers={"X-RateLimit-Reset": str(int(time.time()) + 5)})) is None
