"""Chat sessions and messages, memory extraction, Q&A and jobs through the sync client."""

from __future__ import annotations

import pytest

from conftest import BASE_URL, make_token, new_user
from context0 import Client, JobFailedError, NotFoundError, PermissionDeniedError, ValidationError, WaitTimeoutError


def test_chat_session_messages_and_extraction(client: Client) -> None:
    session = client.chat.create_session(title="Getting to know you", metadata={"channel": "test"})
    assert session["title"] == "Getting to know you" and session["auto_extract"] is True

    sent = client.chat.send_message(session["id"], "I live in Berlin. I work as a nurse.")
    assert sent["user_message"]["content"] == "I live in Berlin. I work as a nurse."
    assert sent["assistant_message"]["role"] == "assistant" and sent["mode"] == "offline"
    assert sent["extraction_job_id"]
    client.jobs.wait(sent["extraction_job_id"], timeout=60)
    extracted = client.memories.list(source="chat")
    assert {m["text"] for m in extracted["items"]} >= {"I live in Berlin."}

    queued = client.chat.extract_memories(session["id"])
    assert queued["session_id"] == session["id"]
    assert client.jobs.wait(queued["job_id"], timeout=60)["state"] == "completed"

    messages = client.chat.list_messages(session["id"], limit=1)
    assert messages["total"] == 2 and len(messages["items"]) == 1
    assert [m["role"] for m in client.chat.iterate_messages(session["id"], page_size=1)] == ["user", "assistant"]


def test_sessions_list_and_iterate(client: Client) -> None:
    made = [client.chat.create_session(title=f"s{i}", auto_extract=False)["id"] for i in range(3)]
    page = client.chat.list_sessions(limit=2)
    assert page["total"] == 3 and len(page["items"]) == 2
    assert {s["id"] for s in client.chat.iterate_sessions(page_size=2)} == set(made)


def test_chat_errors(client: Client) -> None:
    with pytest.raises(NotFoundError):
        client.chat.send_message("00000000-0000-0000-0000-000000000000", "hello")
    session = client.chat.create_session()
    with pytest.raises(ValidationError) as empty:
        client.chat.send_message(session["id"], " ")
    assert empty.value.field == "content"


def test_qa_ask_and_history(client: Client) -> None:
    memory = client.memories.create(text="My dentist appointment is on Friday at 10am.")
    client.jobs.wait(memory["job_id"])
    answer = client.qa.ask("When is my dentist appointment?", limit=3)
    assert answer["mode"] == "offline" and "Friday" in answer["answer"]
    assert answer["citations"] and answer["citations"][0]["type"] == "memory" and answer["citations"][0]["used"] is True
    client.qa.ask("What colour is the sky?")
    history = client.qa.history(limit=1)
    assert history["total"] == 2 and len(history["items"]) == 1
    assert [h["question"] for h in client.qa.iterate_history(page_size=1)] == ["What colour is the sky?", "When is my dentist appointment?"]


def test_qa_needs_its_scope(user: str) -> None:
    with Client(api_key=make_token(user, scopes=["memories:read"]), base_url=BASE_URL) as limited:
        with pytest.raises(PermissionDeniedError) as denied:
            limited.qa.ask("anything?")
    assert denied.value.status == 403


def test_jobs_belong_to_their_user(client: Client) -> None:
    job_id = client.memories.create(text="Mine only")["job_id"]
    assert client.jobs.get(job_id)["kind"]
    with Client(api_key=make_token(new_user()), base_url=BASE_URL) as other:
        with pytest.raises(NotFoundError):
            other.jobs.get(job_id)
    with pytest.raises(ValidationError):
        client.jobs.get("abc")


def test_wait_times_out_and_reports_failure(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = client.memories.create(text="Waiting")["job_id"]
    running = {"id": job_id, "kind": "memory.index", "state": "running", "last_error": None}
    monkeypatch.setattr(client.jobs, "get", lambda _id: running)
    with pytest.raises(WaitTimeoutError) as late:
        client.jobs.wait(job_id, timeout=0.2, poll_interval=0.05)
    assert late.value.last == running
    failed = {**running, "state": "failed", "last_error": "boom"}
    monkeypatch.setattr(client.jobs, "get", lambda _id: failed)
    with pytest.raises(JobFailedError) as error:
        client.jobs.wait(job_id)
    assert error.value.job == failed
    assert client.jobs.wait(job_id, raise_on_failure=False) == failed
