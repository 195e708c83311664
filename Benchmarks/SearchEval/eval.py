#!/usr/bin/env python3
"""The search-quality evaluation's client (Benchmarks/SearchEval/run.sh drives it).

    eval.py ingest --base-url URL --corpus corpus.jsonl --state state.json [--books B1,B2]
    eval.py query  --base-url URL --queries queries.jsonl --state state.json --mode MODE --tsv out.tsv

Both act as one user (EVAL_USER, default `search-eval`) with an HS256 JWT made from
JWT_SECRET (`sub`, `exp`), as the API expects.

ingest: adds every chapter of the corpus (or of --books) through POST /api/v1/context/add,
  the chapters of one book per request (at most 100 documents; a request-level metadata
  {"corpus": "kjv", "book": ...}, each document's fileName its chapter id), then polls
  GET /api/v1/context/view/docs until every document is `indexed` (fails on `failed`, or
  after --timeout seconds without progress). Writes --state: the document id -> chapter map
  and the corpus counts (documents, chunks = the nodes the API made), and prints one
  `INGEST ...` line on stderr.

query: runs every labelled query (those with a relevant chapter in the ingested corpus) once
  through POST /api/v1/context/search with `limit` chunks (default 50) and thresholds 0..1,
  maps each hit to its chapter (documentId via the state's map; the hit's metadata.book must
  agree), keeps each chapter's first position, and scores the first 10 chapters:
    nDCG@10  = DCG / IDCG, DCG = sum over ranks r <= 10 of rel(r) / log2(r + 1) with binary
               relevance, IDCG the same for the ideal order over min(|relevant|, 10) chapters;
    recall@10 = |relevant among the first 10| / |relevant|;
  both averaged over the queries. Prints one RESULT line on stdout (with search_p50_ms, the
  median of the client-side time of each search request: send, answer, JSON parsed; after
  one unmeasured warm-up request), a per-style breakdown on stderr, and writes --tsv, one
  row per query (no timings, so two runs' files diff on ranking changes only).

Standard library only.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import statistics
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

K = 10


def log(message: str) -> None:
    print(f"eval.py: {message}", file=sys.stderr, flush=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(user: str, secret: str, ttl: int = 24 * 3600) -> str:
    """An HS256 JWT with `sub` and `exp`, as sdk/python/tests/conftest.py makes them."""
    claims = {"sub": user, "exp": int(time.time()) + ttl}
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


class API:
    """One keep-alive HTTP connection to the API, re-opened when it drops; retries 429/502/503."""

    def __init__(self, base_url: str, token: str, timeout: float = 300.0) -> None:
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme != "http":
            raise SystemExit(f"eval.py: only http:// base URLs are supported, not {base_url}")
        self.host, self.port, self.prefix = parsed.hostname, parsed.port or 80, parsed.path
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(8):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, self.prefix + path, body=data, headers=self.headers)
                response = self.connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.connection.close()
                self.connection = None
                if attempt == 7:
                    raise SystemExit(f"eval.py: {method} {path} failed: {error}")
                time.sleep(0.5 * (attempt + 1))
                continue
            if response.status in (429, 502, 503) and attempt < 7:
                wait = float(response.getheader("Retry-After") or 1)
                log(f"{method} {path}: {response.status}, retrying in {wait:.0f} s")
                time.sleep(min(wait, 30))
                continue
            try:
                parsed = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                parsed = raw.decode(errors="replace")
            return response.status, parsed
        raise AssertionError("unreachable")

    def expect(self, status: int, method: str, path: str, body: object | None = None) -> object:
        got, answer = self.request(method, path, body)
        if got != status:
            raise SystemExit(f"eval.py: {method} {path} answered {got}, expected {status}: {str(answer)[:500]}")
        return answer


def read_jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def api_from(args: argparse.Namespace) -> API:
    secret = os.environ.get("JWT_SECRET", "")
    if not secret:
        raise SystemExit("eval.py: JWT_SECRET must be set (the API's secret)")
    return API(args.base_url, make_token(args.user, secret))


# --- ingest ---------------------------------------------------------------------------------

def document_pages(api: API) -> list[dict]:
    documents: list[dict] = []
    while True:
        page = api.expect(200, "GET", f"/context/view/docs?limit=500&offset={len(documents)}")
        documents.extend(page["documents"])
        if not page["documents"] or len(documents) >= page["total"]:
            return documents


def ingest(args: argparse.Namespace) -> None:
    api = api_from(args)
    corpus = read_jsonl(args.corpus)
    if args.books:
        wanted = [b.strip() for b in args.books.split(",") if b.strip()]
        unknown = set(wanted) - {d["book"] for d in corpus}
        if unknown:
            raise SystemExit(f"eval.py: no such book(s) in the corpus: {', '.join(sorted(unknown))}")
        corpus = [d for d in corpus if d["book"] in wanted]
    batches: list[list[dict]] = []
    for chapter in corpus:
        if batches and batches[-1][0]["book"] == chapter["book"] and len(batches[-1]) < args.batch:
            batches[-1].append(chapter)
        else:
            batches.append([chapter])

    started = time.monotonic()
    chapter_of: dict[str, str] = {}
    duplicates = 0
    for number, batch in enumerate(batches, 1):
        body = {
            "documents": [{"content": c["text"], "fileName": c["id"], "fileType": "text/plain"} for c in batch],
            "source": "kjv",
            "context_type": "resource",
            "metadata": {"corpus": "kjv", "book": batch[0]["book"]},
        }
        answer = api.expect(201, "POST", "/context/add", body)
        entries = answer["documents"]
        if len(entries) != len(batch):
            raise SystemExit(f"eval.py: add of {len(batch)} documents answered {len(entries)} entries")
        for chapter, entry in zip(batch, entries):
            chapter_of[entry["id"]] = chapter["id"]
            duplicates += bool(entry.get("duplicate"))
        if number % 10 == 0 or number == len(batches):
            log(f"added {len(chapter_of)}/{len(corpus)} chapters ({number}/{len(batches)} requests)")
    added_s = time.monotonic() - started
    if duplicates:
        log(f"{duplicates} chapters were already stored (duplicates): their existing documents are used")

    # Wait until every document is indexed: poll the documents view, fail on `failed` or on
    # no progress for --timeout seconds.
    last_progress, last_indexed, last_report = time.monotonic(), -1, 0.0
    while True:
        documents = {d["id"]: d for d in document_pages(api) if d["id"] in chapter_of}
        missing = set(chapter_of) - set(documents)
        if missing:
            raise SystemExit(f"eval.py: {len(missing)} added documents are not listed by view/docs")
        failed = [chapter_of[i] for i, d in documents.items() if d["state"] == "failed"]
        if failed:
            raise SystemExit(f"eval.py: {len(failed)} documents failed to index, e.g. {failed[:5]}")
        indexed = sum(1 for d in documents.values() if d["state"] == "indexed")
        nodes = sum(d.get("node_count") or 0 for d in documents.values())
        indexed_nodes = sum(d.get("indexed_nodes") or 0 for d in documents.values())
        now = time.monotonic()
        if indexed == len(documents):
            break
        if indexed_nodes > last_indexed:
            last_indexed, last_progress = indexed_nodes, now
        elif now - last_progress > args.timeout:
            raise SystemExit(f"eval.py: indexing made no progress for {args.timeout:.0f} s "
                             f"({indexed}/{len(documents)} documents, {indexed_nodes}/{nodes} chunks)")
        if now - last_report >= 15:
            rate = indexed_nodes / max(now - started, 1e-9)
            log(f"indexing: {indexed}/{len(documents)} documents, {indexed_nodes}/{nodes} chunks "
                f"({rate:.1f} chunks/s since the first add)")
            last_report = now
        time.sleep(args.poll)
    total_s = time.monotonic() - started
    for document_id, document in documents.items():
        if document.get("fileName") != chapter_of[document_id]:
            raise SystemExit(f"eval.py: document {document_id} is {document.get('fileName')!r}, expected {chapter_of[document_id]!r}")
    state = {
        "chapter_of": chapter_of,
        "books": sorted({c["book"] for c in corpus}, key=[d["book"] for d in corpus].index),
        "documents": len(documents),
        "chunks": nodes,
        "ingest_seconds": round(total_s, 1),
    }
    Path(args.state).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    log(f"INGEST documents={len(documents)} chunks={nodes} requests={len(batches)} add_s={added_s:.1f} "
        f"indexed_s={total_s:.1f} chunks_per_s={nodes / max(total_s, 1e-9):.1f}")


# --- query ----------------------------------------------------------------------------------

def ndcg_at_k(ranked: list[str], relevant: set[str], k: int = K) -> float:
    dcg = sum(1.0 / math.log2(rank + 1) for rank, chapter in enumerate(ranked[:k], 1) if chapter in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: list[str], relevant: set[str], k: int = K) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def search_body(query: str, limit: int) -> dict:
    return {"query": query, "similarity_threshold": 1, "minimum_similarity_threshold": 0, "limit": limit}


def run_queries(args: argparse.Namespace) -> None:
    api = api_from(args)
    state = json.loads(Path(args.state).read_text(encoding="utf-8"))
    chapter_of: dict[str, str] = state["chapter_of"]
    ingested = set(chapter_of.values())
    queries = []
    skipped = 0
    for number, q in enumerate(read_jsonl(args.queries), 1):
        relevant = [c for c in q["relevant"] if c in ingested]
        if relevant:
            queries.append((number, q, relevant))
        else:
            skipped += 1
    if not queries:
        raise SystemExit("eval.py: no query has a relevant chapter in the ingested corpus")
    if skipped:
        log(f"{skipped} queries skipped: none of their relevant chapters was ingested (--books)")

    api.expect(202, "POST", "/context/search", search_body("warm-up", args.limit))  # not measured
    rows, latencies = [], []
    by_style: dict[str, list[tuple[float, float]]] = defaultdict(list)
    unmapped = 0
    for number, q, relevant in queries:
        started = time.perf_counter()
        answer = api.expect(202, "POST", "/context/search", search_body(q["query"], args.limit))
        latencies.append((time.perf_counter() - started) * 1000)
        ranked: list[str] = []
        for hit in answer["results"]:
            chapter = chapter_of.get(hit["documentId"])
            if chapter is None:
                unmapped += 1
                continue
            book = (hit.get("metadata") or {}).get("book")
            if book is not None and not chapter.startswith(book + " "):
                raise SystemExit(f"eval.py: hit of document {hit['documentId']} ({chapter}) has metadata book {book!r}")
            if chapter not in ranked:
                ranked.append(chapter)
        wanted = set(relevant)
        ndcg, recall = ndcg_at_k(ranked, wanted), recall_at_k(ranked, wanted)
        by_style[q.get("style", "-")].append((ndcg, recall))
        first = next((rank for rank, c in enumerate(ranked, 1) if c in wanted), 0)
        rows.append([str(number), args.mode, f"{ndcg:.4f}", f"{recall:.4f}", str(first), str(len(answer["results"])),
                     str(len(ranked)), ";".join(relevant), ";".join(ranked[:K]), q["query"]])
    if unmapped:
        log(f"{unmapped} hits belonged to documents outside the ingested corpus and were ignored")

    with open(args.tsv, "w", encoding="utf-8") as f:
        f.write("\t".join(["line", "mode", "ndcg_at_10", "recall_at_10", "first_relevant_rank", "hits", "chapters",
                           "relevant", "top_10", "query"]) + "\n")
        for row in rows:
            f.write("\t".join(cell.replace("\t", " ") for cell in row) + "\n")

    n = len(rows)
    ndcg = sum(float(r[2]) for r in rows) / n
    recall = sum(float(r[3]) for r in rows) / n
    for style, scores in sorted(by_style.items()):
        log(f"mode={args.mode} style={style} queries={len(scores)} "
            f"ndcg_at_10={sum(s[0] for s in scores) / len(scores):.4f} recall_at_10={sum(s[1] for s in scores) / len(scores):.4f}")
    misses = sum(1 for r in rows if r[4] == "0")
    log(f"mode={args.mode}: {misses} of {n} queries found no relevant chapter among {args.limit} chunks; "
        f"search p90 {statistics.quantiles(latencies, n=10)[-1] if n >= 2 else latencies[0]:.1f} ms; per-query rows in {args.tsv}")
    print(f"RESULT bench=eval-search mode={args.mode} queries={n} ndcg_at_10={ndcg:.4f} recall_at_10={recall:.4f} "
          f"corpus_documents={state['documents']} corpus_chunks={state['chunks']} "
          f"search_p50_ms={statistics.median(latencies):.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("ingest", "query"):
        p = sub.add_parser(name)
        p.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/api/v1")
        p.add_argument("--state", required=True)
        p.add_argument("--user", default=os.environ.get("EVAL_USER", "search-eval"))
    ing = sub.choices["ingest"]
    ing.add_argument("--corpus", required=True)
    ing.add_argument("--books", default="", help="comma-separated book names to ingest (default: all)")
    ing.add_argument("--batch", type=int, default=100, help="documents per add request (1-100)")
    ing.add_argument("--timeout", type=float, default=600, help="seconds without indexing progress before giving up")
    ing.add_argument("--poll", type=float, default=1.0, help="seconds between looks at view/docs")
    qry = sub.choices["query"]
    qry.add_argument("--queries", required=True)
    qry.add_argument("--mode", required=True)
    qry.add_argument("--tsv", required=True)
    qry.add_argument("--limit", type=int, default=50, help="chunks per search (1-100)")
    args = parser.parse_args()
    if args.command == "ingest":
        if not 1 <= args.batch <= 100:
            parser.error("--batch must be 1-100")
        ingest(args)
    else:
        if not 1 <= args.limit <= 100:
            parser.error("--limit must be 1-100")
        run_queries(args)


if __name__ == "__main__":
    main()
