"""Webhook signatures (Standard Webhooks), and the Webhook API with deliveries to a local
receiver whose signatures the SDK's verifier accepts."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from conftest import WebhookReceiver, wait_for
from context0 import Client, NotFoundError, ValidationError, WebhookVerificationError, sign_webhook, verify_webhook

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


def signed(body: str, *, secret: str = SECRET, at: int | None = None, webhook_id: str = "evt_1") -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": sign_webhook(secret, webhook_id, timestamp, body)}


def test_the_standard_webhooks_reference_signature() -> None:
    # The example of the Standard Webhooks specification's reference libraries.
    body = '{"test": 2432232314}'
    assert sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {"Webhook-Id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "Webhook-Timestamp": "1614265330",
               "Webhook-Signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    assert verify_webhook(body.encode(), headers, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now=1614265330 + 10) == {"test": 2432232314}


def test_verify_accepts_a_good_delivery_among_several_signatures() -> None:
    body = '{"id": "evt_1", "type": "webhook.test", "data": {}}'
    headers = signed(body)
    headers["webhook-signature"] = "v1,bm90IGl0 v2,whatever " + headers["webhook-signature"]
    assert verify_webhook(body, headers, SECRET)["type"] == "webhook.test"


@pytest.mark.parametrize("tamper", ["secret", "body", "old", "future", "missing", "version", "timestamp"])
def test_verify_refuses(tamper: str) -> None:
    body = '{"id": "evt_1"}'
    headers = signed(body)
    secret = SECRET
    if tamper == "secret":
        secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    elif tamper == "body":
        body = '{"id": "evt_2"}'
    elif tamper == "old":
        headers = signed(body, at=int(time.time()) - 301)
    elif tamper == "future":
        headers = signed(body, at=int(time.time()) + 301)
    elif tamper == "missing":
        del headers["webhook-signature"]
    elif tamper == "version":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = "soon"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret)


def test_tolerance_is_configurable() -> None:
    body = "{}"
    assert verify_webhook(body, signed(body, at=int(time.time()) - 3600), SECRET, tolerance=4000) == {}


def test_webhooks_end_to_end(client: Client, receiver: WebhookReceiver) -> None:
    hook = client.webhooks.create(receiver.url + "/hook", ["memory.created", "webhook.test"], description="sdk test")
    assert hook["secret"].startswith("whsec_") and hook["enabled"] is True
    assert hook["events"] == ["memory.created", "webhook.test"] and hook["description"] == "sdk test"
    assert "secret" not in client.webhooks.get(hook["id"])
    assert client.webhooks.list()["total"] == 1
    assert [w["id"] for w in client.webhooks.iterate(page_size=1)] == [hook["id"]]

    sent = client.webhooks.test(hook["id"])
    assert {"event_id", "delivery_id", "job_id"} <= set(sent)
    headers, body = wait_for(lambda: receiver.find("webhook.test"), timeout=30)[0]
    event = client.webhooks.verify(body, headers, hook["secret"])
    assert event["id"] == sent["event_id"] == headers["webhook-id"] and event["data"]["webhook_id"] == hook["id"]
    delivered = wait_for(lambda: client.webhooks.deliveries(hook["id"], status="delivered")["items"], timeout=30)
    assert delivered[0]["id"] == sent["delivery_id"] and delivered[0]["response_status"] == 204

    memory = client.memories.create(text="Webhooks tell me about this")
    headers, body = wait_for(lambda: receiver.find("memory.created"), timeout=30)[0]
    assert verify_webhook(body, headers, hook["secret"])["data"]["memory_id"] == memory["id"]
    assert json.loads(body)["type"] == "memory.created"

    assert client.webhooks.enable(hook["id"])["enabled"] is True
    assert client.webhooks.delete(hook["id"]) == {"id": hook["id"], "deleted": True}
    with pytest.raises(NotFoundError):
        client.webhooks.get(hook["id"])


def test_webhook_validation(client: Client) -> None:
    with pytest.raises(ValidationError) as events:
        client.webhooks.create("https://example.com/hook", ["no.such.event"])
    assert (events.value.status, events.value.field) == (422, "events")
    with pytest.raises(ValidationError) as url:
        client.webhooks.create("ftp://example.com/hook", ["*"])
    assert url.value.field == "url"
