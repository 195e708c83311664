"""Verifying webhook deliveries as the Standard Webhooks specification says: headers
`webhook-id`, `webhook-timestamp` (seconds since 1970) and `webhook-signature`
(space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`), keyed with the
base64-decoded part of the secret after `whsec_`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping

from .errors import WebhookVerificationError

DEFAULT_TOLERANCE = 300.0
"""Seconds a delivery's timestamp may be off from now, either way (replay protection)."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret."""
    encoded = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise WebhookVerificationError("the webhook secret is not base64 after whsec_") from error


def sign_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes | str) -> str:
    """The `webhook-signature` value the server sends (for testing a receiver)."""
    payload = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret_key(secret), f"{webhook_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Any:
    """Checks a delivery and returns its decoded event (`{"id", "type", "timestamp",
    "data"}`); raises `WebhookVerificationError` when a header is missing, the timestamp is
    more than `tolerance` seconds away from `now`, or no `v1` signature matches. Pass the
    body exactly as received (bytes), before any JSON parsing."""
    lower = {key.lower(): value for key, value in headers.items()}
    try:
        webhook_id, stamp, signatures = lower["webhook-id"], lower["webhook-timestamp"], lower["webhook-signature"]
    except KeyError as missing:
        raise WebhookVerificationError(f"missing header {missing.args[0]}") from None
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    expected = sign_webhook(secret, webhook_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected.encode()):
            return json.loads(body)
    raise WebhookVerificationError("no matching signature")
