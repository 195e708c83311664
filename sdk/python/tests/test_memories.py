"""The Memory API through the sync client: the spec's example, CRUD with history, list
filters, paging through everything, search, batch, and typed errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from context0 import Client, NotFoundError, ValidationError


def test_the_specs_example(client: Client) -> None:
    memory = client.memories.create(text="Important meeting today")
    assert memory["text"] == "Important meeting today"
    assert memory["enrichment"] == "pending" and memory["job_id"]
    assert client.rate_limit is not None and client.rate_limit.limit > 0


def test_create_get_update_delete_keeps_history(client: Client) -> None:
    created = client.memories.create(
        text="I live in Lisbon", category="personal", emotion="happy", tags=["home"], metadata={"k": 1}, source="manual"
    )
    assert (created["category"], created["emotion"], created["tags"]) == ("personal", "happy", ["home"])
    updated = client.memories.update(created["id"], text="I live in Porto", tags=["home", "moved"], reason="moved")
    assert updated["version"] > created["version"] and updated["text"] == "I live in Porto"

    shown = client.memories.get(created["id"])
    assert shown["text"] == "I live in Porto"
    updates = [entry for entry in shown["history"] if entry["change"] == "updated"]
    assert [(entry["text"], entry["reason"]) for entry in updates] == [("I live in Lisbon", "moved")]

    assert client.memories.delete(created["id"]) == {"id": created["id"], "deleted": True}
    with pytest.raises(NotFoundError) as missing:
        client.memories.get(created["id"])
    assert missing.value.status == 404 and missing.value.code == "RESOURCE_NOT_FOUND"


def test_enrichment_job_completes_and_search_finds_the_memory(client: Client) -> None:
    memory = client.memories.create(text="I am allergic to peanuts")
    job = client.jobs.wait(memory["job_id"], timeout=60)
    assert job["state"] == "completed" and job["id"] == memory["job_id"]
    enriched = client.memories.get(memory["id"])
    assert enriched["enrichment"] == "done" and enriched["category"]

    found = client.memories.search("peanut allergy", limit=5, threshold=0.2)
    assert found["query"] == "peanut allergy"
    assert found["results"][0]["id"] == memory["id"]
    assert {"similarity", "score"} <= set(found["results"][0])
    assert client.memories.search("peanut allergy", category="finance", threshold=0.2)["results"] == []


def test_list_filters_sorting_and_pagination(client: Client) -> None:
    client.memories.create(text="Quarterly report due", category="work", emotion="anxious", tags=["q3", "report"])
    client.memories.create(text="Dinner with Ana", category="relationships", emotion="happy", tags=["q3"])
    client.memories.create(text="Gym at six", category="health", emotion="neutral")

    page = client.memories.list(limit=2, skip=0, sort_by="created_at", order="asc")
    assert page["total"] == 3 and page["limit"] == 2 and page["skip"] == 0
    assert [m["text"] for m in page["items"]] == ["Quarterly report due", "Dinner with Ana"]

    assert [m["text"] for m in client.memories.list(category="work")["items"]] == ["Quarterly report due"]
    assert [m["text"] for m in client.memories.list(emotion="happy")["items"]] == ["Dinner with Ana"]
    assert client.memories.list(tags=["q3", "report"])["total"] == 1
    assert client.memories.list(tags="q3")["total"] == 2
    assert client.memories.list(source="manual")["total"] == 3
    today = datetime.now(timezone.utc).date()
    assert client.memories.list(start_date=today, end_date=today)["total"] == 3
    assert client.memories.list(end_date=today - timedelta(days=1))["total"] == 0
    assert client.memories.list(start_date=datetime.now(timezone.utc) + timedelta(hours=1))["total"] == 0
    assert client.memories.list(limit=0)["items"] == []
    assert client.memories.list(skip=10)["items"] == [] and client.memories.list(skip=10)["total"] == 3


def test_iterate_pages_through_everything(client: Client) -> None:
    client.memories.batch([{"op": "create", "text": f"Fact number {i}", "category": "learning"} for i in range(23)])
    client.memories.create(text="Something else", category="other")
    texts = [m["text"] for m in client.memories.iterate(page_size=5, category="learning", sort_by="created_at", order="asc")]
    assert len(texts) == 23 and len(set(texts)) == 23
    assert sum(1 for _ in client.memories.iterate(page_size=100)) == 24


def test_batch_runs_each_operation_on_its_own(client: Client) -> None:
    keep = client.memories.create(text="Keep me")
    drop = client.memories.create(text="Drop me")
    result = client.memories.batch([
        {"op": "create", "text": "Made in a batch", "tags": ["batch"]},
        {"op": "update", "id": keep["id"], "text": "Kept and changed"},
        {"op": "delete", "id": drop["id"]},
        {"op": "create", "text": ""},
        {"op": "explode"},
    ])
    assert (result["succeeded"], result["failed"]) == (3, 2)
    assert [r["success"] for r in result["results"]] == [True, True, True, False, False]
    assert result["results"][3]["error"]["code"] == "VALIDATION_ERROR"
    assert client.memories.get(keep["id"])["text"] == "Kept and changed"
    assert client.memories.list(tags="batch")["total"] == 1


def test_validation_errors_name_the_field(client: Client) -> None:
    with pytest.raises(ValidationError) as empty:
        client.memories.create(text="   ")
    assert (empty.value.status, empty.value.code, empty.value.field) == (422, "VALIDATION_ERROR", "text")
    with pytest.raises(ValidationError) as order:
        client.memories.list(order="sideways")
    assert order.value.field == "order"
    with pytest.raises(ValidationError) as bad_id:
        client.memories.get("not-a-uuid")
    assert bad_id.value.field == "id"
    with pytest.raises(ValidationError):
        client.memories.update(client.memories.create(text="x y")["id"])
    with pytest.raises(NotFoundError):
        client.memories.delete("00000000-0000-0000-0000-000000000000")


def test_dates_may_be_strings(client: Client) -> None:
    client.memories.create(text="A dated memory")
    assert client.memories.list(start_date="2020-01-01", end_date=date.today().isoformat())["total"] == 1
