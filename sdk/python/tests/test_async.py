"""The same API through `AsyncClient`: every resource group, the async helpers (iterators,
waits) and the retry path."""

from __future__ import annotations

import pytest

from conftest import BASE_URL, LIMITED_BASE_URL, WebhookReceiver, make_token, wait_for
from context0 import AsyncClient, NotFoundError, RateLimitError, ValidationError, verify_webhook

pytestmark = pytest.mark.anyio


async def test_ping_needs_no_token() -> None:
    async with AsyncClient(base_url=BASE_URL) as anonymous:
        assert (await anonymous.ping())["version"] == "1.0.0"


async def test_memories(aclient: AsyncClient) -> None:
    memory = await aclient.memories.create(text="Important meeting today", tags=["work"])
    assert (await aclient.jobs.wait(memory["job_id"]))["state"] == "completed"
    enriched = await aclient.memories.get(memory["id"])
    assert enriched["enrichment"] == "done"
    updated = await aclient.memories.update(memory["id"], text="Important meeting tomorrow")
    assert updated["version"] == enriched["version"] + 1
    await aclient.memories.batch([{"op": "create", "text": f"Batch {i}", "tags": ["bulk"]} for i in range(7)])
    assert (await aclient.memories.list(tags="bulk", limit=3))["total"] == 7
    assert len([m async for m in aclient.memories.iterate(page_size=3, tags="bulk")]) == 7
    assert (await aclient.memories.search("meeting", threshold=0.1))["results"][0]["id"] == memory["id"]
    assert (await aclient.memories.delete(memory["id"]))["deleted"] is True
    with pytest.raises(NotFoundError):
        await aclient.memories.get(memory["id"])
    with pytest.raises(ValidationError) as invalid:
        await aclient.memories.create(text="")
    assert invalid.value.field == "text"
    assert aclient.rate_limit is not None and aclient.rate_limit.remaining < aclient.rate_limit.limit


async def test_context(aclient: AsyncClient) -> None:
    added = await aclient.context.add(["The async SDK indexes this sentence about volcanoes."], source="async")
    documents = await aclient.context.wait_until_indexed(added)
    assert documents[0]["state"] == "indexed"
    found = await aclient.context.search("volcanoes", minimum_similarity_threshold=0.1)
    assert "volcanoes" in found["results"][0]["contextData"]
    assert (await aclient.context.view(source="async"))["total"] >= 1
    assert (await aclient.context.view_docs())["total"] == 1
    assert await aclient.context.delete("async") == {}
    assert (await aclient.context.view_docs())["total"] == 0


async def test_chat_and_qa(aclient: AsyncClient) -> None:
    session = await aclient.chat.create_session(title="async")
    sent = await aclient.chat.send_message(session["id"], "My favourite colour is green.")
    await aclient.jobs.wait(sent["extraction_job_id"])
    queued = await aclient.chat.extract_memories(session["id"])
    await aclient.jobs.wait(queued["job_id"])
    assert [m["role"] async for m in aclient.chat.iterate_messages(session["id"])] == ["user", "assistant"]
    assert [s["id"] async for s in aclient.chat.iterate_sessions()] == [session["id"]]
    assert (await aclient.chat.list_sessions())["total"] == 1
    assert (await aclient.chat.list_messages(session["id"]))["total"] == 2
    answer = await aclient.qa.ask("What is my favourite colour?")
    assert "green" in answer["answer"]
    assert [h["id"] async for h in aclient.qa.iterate_history()] == [answer["id"]]
    assert (await aclient.qa.history())["total"] == 1


async def test_retry_through_a_failing_proxy(proxy_factory, user: str) -> None:
    proxy = proxy_factory(["503", "drop"])
    async with AsyncClient(make_token(user), base_url=proxy.base_url, backoff=0.05) as client:
        assert (await client.memories.list())["total"] == 0
    assert len(proxy.seen) == 3


@pytest.mark.skipif(not LIMITED_BASE_URL, reason="CONTEXT0_TEST_LIMITED_BASE_URL not set")
async def test_rate_limited(user: str, whole_rate_window: None) -> None:
    async with AsyncClient(make_token(user), base_url=LIMITED_BASE_URL) as client:
        for _ in range(3):
            await client.chat.list_sessions()
        with pytest.raises(RateLimitError) as limited:
            await client.chat.list_sessions()
        assert limited.value.retry_after and client.rate_limit.remaining == 0


async def test_webhooks_analytics_billing(aclient: AsyncClient, receiver: WebhookReceiver) -> None:
    hook = await aclient.webhooks.create(receiver.url, ["webhook.test"])
    assert (await aclient.webhooks.get(hook["id"]))["url"] == receiver.url
    assert [w["id"] async for w in aclient.webhooks.iterate()] == [hook["id"]]
    assert (await aclient.webhooks.list())["total"] == 1
    sent = await aclient.webhooks.test(hook["id"])
    headers, body = wait_for(lambda: receiver.find("webhook.test"))[0]
    assert verify_webhook(body, headers, hook["secret"])["id"] == sent["event_id"]
    assert (await aclient.webhooks.deliveries(hook["id"]))["total"] >= 1
    assert (await aclient.webhooks.enable(hook["id"]))["enabled"] is True
    assert (await aclient.webhooks.delete(hook["id"]))["deleted"] is True

    assert (await aclient.billing.limits())["plan"] == "free"
    assert "metrics" in await aclient.billing.usage()
    assert (await aclient.billing.history())["total"] == 0
    assert [p async for p in aclient.billing.iterate_history()] == []
    assert "requests" in await aclient.analytics.usage()
    assert "by_category" in await aclient.analytics.memories()
    assert "series" in await aclient.analytics.trends(bucket="week")
