#!/usr/bin/env python3
"""Writes the embedding benchmark's texts as JSON: {"query": ..., "chunks": [...]}.

The texts are generated deterministically (fixed seed, no dependencies), so every system in
one run, and every run, embeds exactly the same input. The query is 10 tokens with [CLS] and
[SEP]; each chunk is long English-like prose of well over 256 tokens, so that after the
model's truncation every chunk is exactly 256 tokens.
"""
import json
import random
import sys

QUERY = "how do i rotate api keys for production"

SUBJECTS = [
    "the operator", "our team", "the scheduler", "a new customer", "the billing service",
    "each worker", "the search index", "the database", "a background job", "the support desk",
    "the mobile app", "every tenant", "the release manager", "the nightly report", "the gateway",
]
VERBS = [
    "reviews", "updates", "archives", "rebuilds", "monitors", "migrates", "summarises",
    "validates", "exports", "schedules", "retries", "documents", "compares", "flags", "restores",
]
OBJECTS = [
    "the quarterly invoices", "stale cache entries", "failed payment attempts", "the audit trail",
    "customer feedback", "the deployment checklist", "slow queries", "duplicate accounts",
    "the onboarding emails", "expired api tokens", "weekly usage statistics", "the backup snapshots",
    "incoming support tickets", "configuration drift", "the product roadmap",
]
TAILS = [
    "before the morning meeting", "whenever traffic spikes", "after every release",
    "so that nothing is lost", "while the region is degraded", "at the end of each month",
    "without waking anyone up", "in less than a minute", "with a short summary for managers",
    "once the data has settled", "because the contract requires it", "as described in the runbook",
]
CONNECTORS = ["Meanwhile,", "Later that day,", "In practice,", "As a rule,", "Occasionally,", "Afterwards,"]


def sentence(rng: random.Random) -> str:
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    if rng.random() < 0.3:
        text = f"{rng.choice(CONNECTORS)} {text}"
    return text[0].upper() + text[1:]


def chunk(rng: random.Random, words: int = 215) -> str:
    parts: list[str] = []
    while sum(len(p.split()) for p in parts) < words:
        parts.append(sentence(rng))
    return " ".join(parts)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    rng = random.Random(20240601)
    json.dump({"query": QUERY, "chunks": [chunk(rng) for _ in range(count)]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
