"""The README's examples run as written (with a real token for "your-api-key")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import BASE_URL, make_token

README = (Path(__file__).parent.parent / "README.md").read_text()


def block(heading: str) -> str:
    """The first python code block after a heading."""
    section = README.split(heading + "\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, heading
    return match.group(1)


def test_quickstart_and_errors_run_as_written(monkeypatch: pytest.MonkeyPatch, user: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CONTEXT0_BASE_URL", BASE_URL)
    namespace: dict[str, object] = {}
    exec(block("## Quickstart").replace("your-api-key", make_token(user)), namespace)
    assert namespace["memory"]["text"] == "Important meeting today"  # type: ignore[index]
    exec(block("### Errors"), namespace)
    assert capsys.readouterr().out.splitlines()[-1] == "422 VALIDATION_ERROR text"


def test_async_example_runs_as_written(monkeypatch: pytest.MonkeyPatch, user: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CONTEXT0_BASE_URL", BASE_URL)
    exec(block("### Async").replace("your-api-key", make_token(user)), {"__name__": "readme"})
    assert capsys.readouterr().out.splitlines() == ["Important meeting today"]
