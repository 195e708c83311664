#!/usr/bin/env python3
"""Checks the labelled queries against the corpus made by make_corpus.py.

    check_queries.py CORPUS.jsonl [QUERIES.jsonl] [--candidates] [--show N]

For every line of QUERIES ({"query", "relevant": [chapter ids], "evidence": [terms]}):
  - the query is unique and non-empty, and `relevant` names at least one chapter, each once;
  - every relevant chapter exists in the corpus;
  - every relevant chapter contains every evidence term (whole words, case-insensitive;
    "a|b" means a or b, for spellings that differ between books, e.g. Melchizedek|Melchisedec).
The evidence terms are how the labels were made: a story's tell-tale words, searched in the
whole corpus for every chapter that tells it, and only the chapters that really answer the
query were kept. --candidates lists, per query, the chapters that contain every evidence term
but are not labelled (the ones a reviewer decided against, or missed). --show N prints the
first verses that hold the evidence in N randomly chosen labelled chapters, for reading.
Exits 1 if any check fails. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path


def term_pattern(term: str) -> re.Pattern[str]:
    alternatives = [re.escape(t.strip()).replace(r"\ ", r"\s+") for t in term.split("|")]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("queries", nargs="?", default=str(Path(__file__).with_name("queries.jsonl")))
    parser.add_argument("--candidates", action="store_true")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    corpus = {d["id"]: d for d in map(json.loads, Path(args.corpus).read_text().splitlines())}
    errors: list[str] = []
    seen: set[str] = set()
    queries = []
    for number, line in enumerate(Path(args.queries).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(f"line {number}: not JSON ({error})")
            continue
        queries.append((number, q))
        text = q.get("query", "")
        if not isinstance(text, str) or not text.strip():
            errors.append(f"line {number}: empty query")
        if text.lower() in seen:
            errors.append(f"line {number}: duplicate query {text!r}")
        seen.add(text.lower())
        relevant = q.get("relevant") or []
        if not relevant or len(set(relevant)) != len(relevant):
            errors.append(f"line {number}: relevant must list chapters, each once: {relevant}")
        patterns = [(t, term_pattern(t)) for t in q.get("evidence", [])]
        for chapter in relevant:
            if chapter not in corpus:
                errors.append(f"line {number}: no chapter {chapter!r} in the corpus")
                continue
            for term, pattern in patterns:
                if not pattern.search(corpus[chapter]["text"]):
                    errors.append(f"line {number}: {chapter} lacks evidence term {term!r} ({text!r})")
        if args.candidates and patterns:
            others = [cid for cid, d in corpus.items() if cid not in relevant
                      and all(p.search(d["text"]) for _, p in patterns)]
            print(f"{number:4d} {text[:70]!r}\n       labelled {relevant}\n       also holding {q.get('evidence')}: {others}")

    if args.show:
        rng = random.Random(args.seed)
        for number, q in rng.sample(queries, min(args.show, len(queries))):
            chapter = rng.choice(q["relevant"])
            if chapter not in corpus:
                continue
            patterns = [term_pattern(t) for t in q.get("evidence", [])]
            verses = corpus[chapter]["text"].split("\n")
            hits = [f"  {i}: {v}" for i, v in enumerate(verses, 1) if any(p.search(v) for p in patterns)] or \
                   [f"  {i}: {v}" for i, v in enumerate(verses[:3], 1)]
            print(f"--- line {number}: {q['query']!r} -> {chapter}\n" + "\n".join(hits[:4]))

    chapters = {c for _, q in queries for c in q.get("relevant", [])}
    books = {corpus[c]["book"] for c in chapters if c in corpus}
    testaments = {corpus[c]["testament"] for c in chapters if c in corpus}
    print(f"check_queries.py: {len(queries)} queries, {len(chapters)} relevant chapters in {len(books)} books "
          f"({', '.join(sorted(testaments))} testament), {len(errors)} problems", file=sys.stderr)
    for error in errors:
        print("  " + error, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
