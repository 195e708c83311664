"""The Context API through the sync client: add, wait until indexed, search, view, view
docs, delete, and its own error shape."""

from __future__ import annotations

import pytest

from conftest import BASE_URL, make_token
from context0 import AuthenticationError, Client, PermissionDeniedError, ValidationError


def test_add_wait_search_view_and_delete_by_source(client: Client) -> None:
    added = client.context.add(
        ["Our office is in Lisbon, near the river.", {"content": "The team meets every Tuesday.", "fileName": "notes.txt"}],
        source="handbook", metadata={"team": "core"},
    )
    assert added["count"] == 2 and len(added["documents"]) == 2
    assert all(doc["state"] == "chunked" and doc["job_id"] for doc in added["documents"])

    documents = client.context.wait_until_indexed(added, timeout=60)
    assert {doc["id"] for doc in documents} == {doc["id"] for doc in added["documents"]}
    assert all(doc["indexed"] and doc["state"] == "indexed" for doc in documents)

    found = client.context.search("where is the office?", similarity_threshold=1, minimum_similarity_threshold=0.1)
    assert found["results"] and "Lisbon" in found["results"][0]["contextData"]
    assert {"contextId", "contextData", "documentId", "similarity", "score"} <= set(found["results"][0])
    only_core = client.context.search("office", minimum_similarity_threshold=0, metadata={"team": "other"})
    assert only_core["results"] == []

    view = client.context.view(source="handbook", limit=10)
    assert view["total"] >= 2 and all(node["source"] == "handbook" for node in view["context"])
    docs = client.context.view_docs(limit=1, offset=1)
    assert docs["total"] == 2 and len(docs["documents"]) == 1 and docs["offset"] == 1

    assert client.context.delete("handbook") == {}
    assert client.context.view_docs()["total"] == 0


def test_delete_by_id_removes_one_document(client: Client) -> None:
    added = client.context.add(["First document.", "Second document."], source="two")
    first = added["documents"][0]["id"]
    client.context.delete(first, by_doc=False, by_id=True)
    remaining = client.context.view_docs()["documents"]
    assert [doc["id"] for doc in remaining] == [added["documents"][1]["id"]]


def test_adding_the_same_document_twice_is_a_duplicate(client: Client) -> None:
    first = client.context.add(["Same text."], source="dup")
    second = client.context.add(["Same text."], source="dup")
    assert second["documents"][0]["duplicate"] is True
    assert second["documents"][0]["id"] == first["documents"][0]["id"]
    client.context.wait_until_indexed([first["documents"][0]["id"]])


def test_context_errors_carry_the_context_api_code(client: Client, user: str) -> None:
    with pytest.raises(ValidationError) as bad:
        client.context.search("x", similarity_threshold=0.1, minimum_similarity_threshold=0.9)
    assert bad.value.status == 400 and bad.value.code == "VALIDATION_ERROR" and bad.value.message

    with pytest.raises(ValidationError):
        client.context.add([])

    reader = Client(api_key=make_token(user, scopes=["context:read"]), base_url=BASE_URL)
    with pytest.raises(PermissionDeniedError) as denied:
        reader.context.add(["text"])
    assert denied.value.status == 403 and denied.value.code == "INSUFFICIENT_PERMISSIONS"

    with pytest.raises(PermissionDeniedError):
        client.context.add(["text"], user_id="somebody-else")

    with pytest.raises(AuthenticationError) as unauthenticated:
        Client(api_key="not-a-token", base_url=BASE_URL).context.view()
    assert unauthenticated.value.status == 401 and unauthenticated.value.code == "INVALID_TOKEN"
