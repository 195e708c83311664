"""The MCP server at /mcp, driven by the official MCP Python SDK (PyPI `mcp`) over real HTTP
to real context0-api and context0-worker processes (started by scripts/test-sdks.sh)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

API_URL = os.environ.get("CONTEXT0_TEST_BASE_URL", "http://127.0.0.1:8000/api/v1")
MCP_URL = API_URL.removesuffix("/api/v1") + "/mcp"
JWT_SECRET = os.environ.get("CONTEXT0_TEST_JWT_SECRET", "")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(user: str, scopes: list[str] | None = None) -> str:
    claims: dict[str, Any] = {"sub": user, "exp": int(time.time()) + 3600}
    if scopes is not None:
        claims["scopes"] = scopes
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def new_user() -> str:
    return f"mcp-py-{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def session(bearer: str):
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {bearer}"}) as http:
        async with streamable_http_client(MCP_URL, http_client=http) as (read, write):
            async with ClientSession(read, write) as mcp:
                await mcp.initialize()
                yield mcp


async def call(mcp: ClientSession, tool: str, arguments: dict[str, Any]) -> Any:
    result = await mcp.call_tool(tool, arguments)
    assert not result.is_error, result
    assert result.content and result.content[0].text
    return result.structured_content


async def test_initialize_and_list_tools() -> None:
    async with session(token(new_user())) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
        assert set(tools) == {"add_memory", "search_memories", "list_memories", "delete_memory",
                              "add_context", "search_context", "ask"}
        assert tools["add_memory"].input_schema["required"] == ["text"]
        assert tools["search_memories"].output_schema["type"] == "object"


async def test_every_tool_as_the_tokens_user() -> None:
    async with session(token(new_user())) as mcp:
        added = await call(mcp, "add_memory", {"text": "My sister Ines lives in Porto and loves sardines."})
        memory_id = added["id"]
        found = await call(mcp, "search_memories", {"query": "sardines", "limit": 5})
        assert found["results"][0]["id"] == memory_id
        listed = await call(mcp, "list_memories", {"limit": 10})
        assert listed["total"] == 1 and listed["items"][0]["id"] == memory_id
        document = await call(mcp, "add_context", {"content": "The spare bike pump is in the garden shed.", "source": "house-notes"})
        assert document["documents"][0]["state"] == "chunked"
        passages = await call(mcp, "search_context", {"query": "bike pump"})
        assert "garden shed" in passages["results"][0]["contextData"]
        answer = await call(mcp, "ask", {"question": "Where does my sister live?"})
        assert answer["citations"], answer
        deleted = await call(mcp, "delete_memory", {"id": memory_id})
        assert deleted == {"id": memory_id, "deleted": True}
        again = await call(mcp, "list_memories", {})
        assert again["total"] == 0


async def test_a_second_user_never_sees_the_first_users_data() -> None:
    async with session(token(new_user())) as first:
        await call(first, "add_memory", {"text": "The vault combination is kept in the blue notebook."})
        await call(first, "add_context", {"content": "Quarterly numbers: the zeppelin project overran.", "source": "reports"})
    async with session(token(new_user())) as second:
        assert (await call(second, "search_memories", {"query": "vault combination"}))["results"] == []
        assert (await call(second, "search_context", {"query": "zeppelin"}))["results"] == []
        assert (await call(second, "list_memories", {}))["total"] == 0


async def test_a_tool_the_token_may_not_use_is_an_error_result() -> None:
    async with session(token(new_user(), scopes=["memories:read"])) as mcp:
        result = await mcp.call_tool("add_memory", {"text": "not allowed"})
        assert result.is_error and "memories:write" in result.content[0].text


async def test_no_token_is_refused_before_any_message_is_read() -> None:
    async with httpx2.AsyncClient() as http:
        answer = await http.post(MCP_URL, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
                                 headers={"Accept": "application/json, text/event-stream"})
        assert answer.status_code == 401
        bad = await http.post(MCP_URL, content=b"not json", headers={"Authorization": "Bearer nonsense"})
        assert bad.status_code == 401
    with pytest.raises(Exception):
        async with session("not-a-token"):
            pass
