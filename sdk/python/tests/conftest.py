"""Shared test support: the servers scripts/test-sdks.sh started, tokens, clients, and
small local HTTP servers (a proxy that fails on purpose, a webhook receiver)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import threading
import time
import uuid
from typing import Any, Callable

import httpx
import pytest

from context0 import AsyncClient, Client

BASE_URL = os.environ.get("CONTEXT0_TEST_BASE_URL", "http://127.0.0.1:8000/api/v1")
LIMITED_BASE_URL = os.environ.get("CONTEXT0_TEST_LIMITED_BASE_URL")
JWT_SECRET = os.environ.get("CONTEXT0_TEST_JWT_SECRET", "")



@pytest.fixture
def whole_rate_window() -> None:
    """Rate limits count in clock-hour windows: a test that spends a small budget and expects
    the next request refused waits, when the next hour is under two minutes away, until it
    has begun."""
    until_next_hour = 3600 - time.time() % 3600
    if until_next_hour < 120:
        time.sleep(until_next_hour + 1)

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(user: str, scopes: list[str] | None = None, org: str | None = None, ttl: int = 3600) -> str:
    """An HS256 JWT as the server expects: `sub`, optional `org_id` and `scopes`, `exp`."""
    claims: dict[str, Any] = {"sub": user, "exp": int(time.time()) + ttl}
    if scopes is not None:
        claims["scopes"] = scopes
    if org is not None:
        claims["org_id"] = org
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def new_user() -> str:
    return f"sdk-py-{uuid.uuid4().hex[:12]}"


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Polls until `condition()` is truthy and returns it; fails the test on time-out."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def user() -> str:
    return new_user()


@pytest.fixture
def client(user: str):
    with Client(api_key=make_token(user), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
async def aclient(user: str):
    async with AsyncClient(api_key=make_token(user), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- local HTTP servers -----------------------------------------------------------------

class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a handler class; stopped by `close()`."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FlakyProxy(LocalServer):
    """Answers the first requests as `plan` says, then forwards to the real API:
    `"500"`/`"503"`: that status; `"429"`: 429 with `Retry-After: 1`; `"drop"`: closes the
    connection without an answer; `"slow"`: waits 2 s, then forwards."""

    def __init__(self, plan: list[str], upstream: str = BASE_URL) -> None:
        self.plan = list(plan)
        self.upstream = httpx.URL(upstream)
        self.seen: list[str] = []
        self.lock = threading.Lock()
        super().__init__(ProxyHandler)

    @property
    def base_url(self) -> str:
        return self.url + self.upstream.path

    def next_action(self, request_line: str) -> str:
        with self.lock:
            self.seen.append(request_line)
            return self.plan.pop(0) if self.plan else "forward"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def handle_any(self) -> None:
        proxy: FlakyProxy = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        action = proxy.next_action(f"{self.command} {self.path}")
        if action == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if action in ("500", "503", "429"):
            payload = json.dumps({"success": False, "message": "injected", "error": {"code": "INTERNAL_ERROR", "details": "injected"}}).encode()
            self.send_response(int(action))
            if action == "429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if action == "slow":
            time.sleep(2)
        self.forward(proxy, body)

    def forward(self, proxy: FlakyProxy, body: bytes) -> None:
        upstream = http.client.HTTPConnection(proxy.upstream.host, proxy.upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding", "connection")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


class WebhookReceiver(LocalServer):
    """Collects every POST: `(headers, raw body)`, answering 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        super().__init__(ReceiverHandler)

    def find(self, event_type: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b in list(self.received) if json.loads(b).get("type") == event_type]


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.owner.received.append((dict(self.headers.items()), body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def proxy_factory():
    made: list[FlakyProxy] = []

    def make(plan: list[str], upstream: str = BASE_URL) -> FlakyProxy:
        made.append(FlakyProxy(plan, upstream))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()
