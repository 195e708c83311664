"""One line about a Schemathesis run of scripts/fuzz.sh, read from its NDJSON event report:
how many requests went out, how many answers were >= 500, and which checks failed how often.

Usage: summary.py NAME STATUS REPORT_FOLDER (STATUS is the run's exit status).
"""

from __future__ import annotations

import collections
import json
import pathlib
import sys


def tally(folder: pathlib.Path) -> tuple[int, int, collections.Counter]:
    requests = server_errors = 0
    failed: collections.Counter = collections.Counter()
    for report in folder.glob("ndjson-*.ndjson"):
        with report.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                event = json.loads(line).get("ScenarioFinished")
                if not event:
                    continue
                recorder = event.get("recorder", {})
                for interaction in recorder.get("interactions", {}).values():
                    requests += 1
                    response = interaction.get("response") or {}
                    if response.get("status_code", 0) >= 500:
                        server_errors += 1
                for checks in recorder.get("checks", {}).values():
                    for check in checks:
                        if check.get("status") == "failure":
                            failed[check["name"]] += 1
    return requests, server_errors, failed


def main() -> None:
    name, status, folder = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
    requests, server_errors, failed = tally(folder)
    verdict = "passed" if status == 0 else f"FAILED (exit {status})"
    checks = ", ".join(f"{check} {count}" for check, count in failed.most_common()) or "none"
    print(f"{name}: {verdict}: {requests} requests, {server_errors} answers >= 500, failed checks: {checks}; reports in {folder}")


if __name__ == "__main__":
    main()
