"""Creates a few objects of each kind as one user before scripts/fuzz.sh's `tenants` run and
prints their ids as JSON ({"memory": [...], "session": [...], "webhook": [...], "job": [...]}).

Random ids only ever reach the 404 of operations on one object; with these, hooks.py sends
most of the schema-valid requests to objects that exist, so those operations are
fuzzed past the lookup, and `object_level_authorization` has objects of one tenant to ask
for as the other.

Usage: seed.py BASE_URL TOKEN (BASE_URL ends in /api/v1).
"""

from __future__ import annotations

import json
import sys
import urllib.request

# Each kind a few times; hooks.py keeps the last of each for DELETE, the others for the rest.
COPIES = 3


def post(base_url: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["data"]


def seed(base_url: str, token: str) -> dict[str, list]:
    ids: dict[str, list] = {"memory": [], "session": [], "webhook": [], "job": []}
    for n in range(COPIES):
        memory = post(base_url, token, "/memories", {"text": f"fuzz seed memory {n}: I like green tea", "tags": ["fuzz"]})
        ids["memory"].append(memory["id"])
        if memory.get("job_id") is not None:
            ids["job"].append(memory["job_id"])
        ids["session"].append(post(base_url, token, "/chat/sessions", {"title": f"fuzz seed session {n}"})["id"])
        # Never delivered: fuzz.sh runs no worker for the `webhooks` queue.
        webhook = {"url": f"https://example.com/context0-fuzz/{n}", "events": ["*"]}
        ids["webhook"].append(post(base_url, token, "/webhooks", webhook)["id"])
    return ids


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: seed.py BASE_URL TOKEN")
    json.dump(seed(sys.argv[1], sys.argv[2]), sys.stdout)
