"""Analytics and billing through the sync client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from conftest import BASE_URL, make_token
from context0 import Client, PermissionDeniedError, ValidationError


def test_analytics(client: Client) -> None:
    client.memories.create(text="Counted in analytics", category="work")
    usage = client.analytics.usage()
    assert usage["requests"]["total"] >= 1 and usage["totals"]["memories"] == 1
    today = date.today()
    memories = client.analytics.memories(start_date=today - timedelta(days=6), end_date=today)
    assert memories["total"] == 1 and memories["by_category"].get("work") == 1
    assert len(memories["growth"]) == 7
    trends = client.analytics.trends(bucket="day", start_date=today - timedelta(days=2), end_date=today, metrics=["requests", "memories_created"])
    assert trends["bucket"] == "day" and len(trends["series"]) == 3
    assert sum(point["memories_created"] for point in trends["series"]) == 1
    with pytest.raises(ValidationError):
        client.analytics.trends(bucket="fortnight")


def test_billing(client: Client) -> None:
    limits = client.billing.limits()
    assert limits["plan"] == "free" and limits["rate_limits"]["standard"]["limit"] > 0
    usage = client.billing.usage()
    assert usage["plan"] == "free" and "metrics" in usage and usage["requests"]["standard"] >= 1
    history = client.billing.history(limit=10)
    assert history["items"] == [] and history["total"] == 0
    assert list(client.billing.iterate_history()) == []


def test_analytics_and_billing_need_their_scopes(user: str) -> None:
    with Client(make_token(user, scopes=["memories:read"]), base_url=BASE_URL) as limited:
        with pytest.raises(PermissionDeniedError):
            limited.billing.usage()
        with pytest.raises(PermissionDeniedError):
            limited.analytics.usage()
