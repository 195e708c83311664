"""mem0's own client (PyPI `mem0ai`, `MemoryClient`) against Context0's mem0-compatible routes,
over real HTTP to real context0-api and context0-worker processes (started by
scripts/test-sdks.sh). Only the host changes: `MemoryClient(api_key=KEY, host=SERVER)`."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid
from typing import Any, Callable

import pytest

os.environ["MEM0_TELEMETRY"] = "False"
os.environ.setdefault("MEM0_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"mem0-test-{os.getpid()}"))

from mem0 import MemoryClient  # noqa: E402
from mem0.exceptions import MemoryNotFoundError, ValidationError  # noqa: E402

API_URL = os.environ.get("CONTEXT0_TEST_BASE_URL", "http://127.0.0.1:8000/api/v1")
HOST = API_URL.removesuffix("/api/v1")
ADMIN = os.environ.get("CONTEXT0_TEST_ADMIN", "context0-admin")


def new_key(prefix: str = "mem0-py") -> str:
    """An API key of a user of its own, made by the operator's command."""
    user = f"{prefix}-{uuid.uuid4().hex[:12]}"
    done = subprocess.run([ADMIN, "keys", "create", "--user", user, "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["key"]


def eventually(condition: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    """Waits for a condition (the worker embeds and extracts in its own time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def context0(method: str, path: str, key: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        API_URL + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def client() -> MemoryClient:
    return MemoryClient(api_key=new_key(), host=HOST)


def add(client: MemoryClient, text: str, **filters: str) -> str:
    answer = client.add(text, filters=filters, infer=False, metadata={"origin": "test"})
    assert answer["status"] == "SUCCEEDED", answer
    assert [result["memory"] for result in answer["results"]] == [text]
    return answer["results"][0]["id"]


def test_a_bad_key_is_refused_by_the_client() -> None:
    for key in ["c0_" + "x" * 40, "m0-not-a-context0-key"]:
        with pytest.raises(ValueError):
            MemoryClient(api_key=key, host=HOST)


def test_add_get_search_update_history_delete(client: MemoryClient) -> None:
    memory_id = add(client, "Alice keeps three cats named Miso, Tofu and Nori.", user_id="alice")
    got = client.get(memory_id)
    assert got["memory"] == "Alice keeps three cats named Miso, Tofu and Nori."
    assert got["user_id"] == "alice" and got["agent_id"] is None and got["metadata"] == {"origin": "test"}

    def embedded_hit() -> Any:
        results = client.search("how many cats does she have", filters={"user_id": "alice"}, top_k=5)["results"]
        return [hit for hit in results if hit["id"] == memory_id and hit["score"] is not None]

    hit = eventually(embedded_hit, "the memory to be embedded and found")[0]
    assert 0 < hit["score"] <= 1

    updated = client.update(memory_id, text="Alice keeps four cats.")
    assert updated["memory"] == "Alice keeps four cats."
    history = client.history(memory_id)
    assert [entry["event"] for entry in history] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == "Alice keeps three cats named Miso, Tofu and Nori."
    assert history[1]["new_memory"] == "Alice keeps four cats."

    assert "deleted" in client.delete(memory_id)["message"].lower()
    with pytest.raises(MemoryNotFoundError):
        client.get(memory_id)
    assert [entry["event"] for entry in client.history(memory_id)][-1] == "DELETE"


def test_get_all_pages_and_filters_by_entity(client: MemoryClient) -> None:
    for n in range(3):
        add(client, f"Bob's note number {n}", user_id="bob")
    add(client, "The travel agent books trains, never planes.", agent_id="travel")
    first = client.get_all(filters={"user_id": "bob"}, page=1, page_size=2)
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = client.get_all(filters={"user_id": "bob"}, page=2, page_size=2)
    assert len(second["results"]) == 1 and second["next"] is None
    assert {m["memory"] for m in first["results"] + second["results"]} == {f"Bob's note number {n}" for n in range(3)}
    agent = client.get_all(filters={"AND": [{"agent_id": "travel"}]})
    assert [m["memory"] for m in agent["results"]] == ["The travel agent books trains, never planes."]
    entities = {(e["type"], e["name"]): e["total_memories"] for e in client.users()["results"]}
    assert entities == {("user", "bob"): 3, ("agent", "travel"): 1}
    with pytest.raises(ValidationError):
        client.get_all(filters={"categories": {"in": ["travel"]}})


def test_entities_and_tenants_never_see_each_other(client: MemoryClient) -> None:
    alice = add(client, "Alice's locker code is 4512.", user_id="alice")
    add(client, "Bob's locker code is 7788.", user_id="bob")
    seen_by_bob = client.get_all(filters={"user_id": "bob"})["results"]
    assert [m["memory"] for m in seen_by_bob] == ["Bob's locker code is 7788."]
    eventually(lambda: client.search("locker code", filters={"user_id": "alice"})["results"], "alice's memory to be searchable")
    assert all(hit["user_id"] == "bob" for hit in client.search("locker code", filters={"user_id": "bob"})["results"])

    other = MemoryClient(api_key=new_key("mem0-other"), host=HOST)
    assert other.get_all(filters={"user_id": "alice"})["count"] == 0
    assert other.search("locker code", filters={"user_id": "alice"})["results"] == []
    with pytest.raises(MemoryNotFoundError):
        other.get(alice)
    with pytest.raises(MemoryNotFoundError):
        other.delete(alice)
    assert client.get(alice)["memory"] == "Alice's locker code is 4512."


def test_delete_all_batch_and_delete_users(client: MemoryClient) -> None:
    alice = [add(client, f"Alice fact {n}", user_id="alice") for n in range(3)]
    bob = [add(client, f"Bob fact {n}", user_id="bob") for n in range(2)]
    carol = add(client, "Carol fact", user_id="carol")

    assert "Successfully updated 2" in client.batch_update([
        {"memory_id": alice[0], "text": "Alice fact zero"}, {"memory_id": alice[1], "text": "Alice fact one"}])["message"]
    assert client.get(alice[0])["memory"] == "Alice fact zero"
    with pytest.raises(MemoryNotFoundError):
        client.batch_update([{"memory_id": alice[2], "text": "changed"}, {"memory_id": str(uuid.uuid4()), "text": "x"}])
    assert client.get(alice[2])["memory"] == "Alice fact 2", "a refused batch changes nothing"
    assert "Successfully deleted 1" in client.batch_delete([{"memory_id": bob[0]}])["message"]

    client.delete_all(user_id="alice")
    assert client.get_all(filters={"user_id": "alice"})["count"] == 0
    assert [m["id"] for m in client.get_all(filters={"user_id": "bob"})["results"]] == [bob[1]]
    with pytest.raises(ValidationError):
        client.delete_all()

    client.delete_users(user_id="bob")
    assert client.get_all(filters={"user_id": "bob"})["count"] == 0
    assert client.get(carol)["memory"] == "Carol fact"
    assert {e["name"] for e in client.users()["results"]} == {"carol"}


def test_infer_extracts_memories_for_the_entity(client: MemoryClient) -> None:
    answer = client.add(
        [{"role": "user", "content": "I live in Lisbon and I love surfing."},
         {"role": "assistant", "content": "Lisbon has great waves!"}],
        filters={"user_id": "dana"})
    assert answer["status"] == "PENDING" and answer["event_id"], answer
    found = eventually(lambda: client.get_all(filters={"user_id": "dana"})["results"], "extracted memories")
    assert all(m["user_id"] == "dana" for m in found)
    assert any("lisbon" in m["memory"].lower() for m in found), found
    assert client.get_all(filters={"user_id": "erin"})["count"] == 0


def test_the_same_memories_as_the_context0_api() -> None:
    key = new_key()
    client = MemoryClient(api_key=key, host=HOST)
    via_mem0 = add(client, "Frank drinks his coffee black.", user_id="frank")
    status, shown = context0("GET", f"/memories/{via_mem0}", key)
    assert status == 200 and shown["data"]["text"] == "Frank drinks his coffee black."
    status, created = context0("POST", "/memories", key, {"text": "Gina runs every morning."})
    assert status == 201
    assert client.get(created["data"]["id"])["memory"] == "Gina runs every morning."
    assert client.get(created["data"]["id"])["user_id"] is None


def test_inference_reconciles_within_one_entity_only(client: MemoryClient) -> None:
    """The same fact from two end users is two memories: extraction never takes another
    entity's memory as a duplicate of, or supersedes it with, this one's."""
    for user in ["hana", "ivan"]:
        answer = client.add("I work as a nurse in Porto.", filters={"user_id": user})
        assert answer["status"] == "PENDING", answer
        found = eventually(lambda: client.get_all(filters={"user_id": user})["results"], f"{user}'s extracted memory")
        assert any("porto" in m["memory"].lower() for m in found), found
    assert client.get_all(filters={"user_id": "hana"})["count"] >= 1
