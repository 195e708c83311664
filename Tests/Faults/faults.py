"""The fault-injection suite's load generator, fault injector and accountant.

Run by scripts/faults.sh, which starts the database, the supervised API and workers, and
passes everything through the environment:

  FAULTS_BASE_URL, FAULTS_DATABASE_URL, FAULTS_WORK (the report folder, with processes.log,
  the supervisor's and processes' output), FAULTS_TOKENS (JSON {user: JWT}), FAULTS_ROOT,
  FAULTS_EXTERNAL_DATABASE (1: the PostgreSQL faults cannot be made), FAULTS_PSQL, and the
  settings scripts/faults.sh documents (FAULTS, FAULT_DOWN_SECONDS, FAULTS_QUIET_SECONDS,
  FAULTS_WARMUP_SECONDS, FAULTS_SETTLE_SECONDS, FAULTS_RECOVERY_SECONDS, FAULTS_RATE,
  FAULTS_THREADS).

Standard library only; SQL goes through psql (one JSON document per query).
Exit status: 0 when the run passed, 1 when it found something, 2 when it could not run.
"""

import base64
import collections
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BASE_URL = os.environ["FAULTS_BASE_URL"]
DATABASE_URL = os.environ["FAULTS_DATABASE_URL"]
WORK = os.environ["FAULTS_WORK"]
TOKENS = json.loads(os.environ["FAULTS_TOKENS"])
ROOT = os.environ["FAULTS_ROOT"]
PSQL = os.environ.get("FAULTS_PSQL", "psql")
EXTERNAL_DATABASE = os.environ.get("FAULTS_EXTERNAL_DATABASE", "0") == "1"

ALL_FAULTS = ["worker", "api", "pg-restart", "pg-outage"]
FAULTS = [f.strip() for f in os.environ.get("FAULTS", ",".join(ALL_FAULTS)).split(",") if f.strip()]
DOWN_SECONDS = float(os.environ.get("FAULT_DOWN_SECONDS", "30"))
QUIET_SECONDS = float(os.environ.get("FAULTS_QUIET_SECONDS", "25"))
WARMUP_SECONDS = float(os.environ.get("FAULTS_WARMUP_SECONDS", "15"))
SETTLE_SECONDS = float(os.environ.get("FAULTS_SETTLE_SECONDS", "300"))
RECOVERY_SECONDS = float(os.environ.get("FAULTS_RECOVERY_SECONDS", "180"))
RATE = float(os.environ.get("FAULTS_RATE", "3"))
THREADS = int(os.environ.get("FAULTS_THREADS", "3"))
REQUEST_TIMEOUT = 30

USERS = sorted(TOKENS)
RUN_ID = "%08x" % random.getrandbits(32)
START = time.monotonic()
EVENTS = ["memory.created", "context.added", "context.indexed", "job.failed"]
# Jobs the load causes; anything else (the periodic maintenance jobs) is not ours to wait for.
LOAD_KINDS = ("context.ingest", "context.embed", "memory.index", "memory.extract", "webhook.deliver")


def now():
    return round(time.monotonic() - START, 3)


def say(message):
    print("faults.py: [%7.1f s] %s" % (time.monotonic() - START, message), file=sys.stderr, flush=True)


# --- HTTP -------------------------------------------------------------------------------

class Recorder:
    """Every request of the run, in order of completion, with the phase it was sent in."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.phase = "warm-up"

    def add(self, record):
        with self.lock:
            self.records.append(record)

    def all(self):
        with self.lock:
            return list(self.records)


RECORDER = Recorder()


def request(method, path, user=None, body=None, endpoint=None, timeout=REQUEST_TIMEOUT, record=True, extra=None):
    """One request; returns (status or None, parsed body or None, error text or None).
    Recorded with its endpoint name unless record is False."""
    headers = {"Accept": "application/json"}
    data = None
    if user is not None:
        headers["Authorization"] = "Bearer " + TOKENS[user]
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    sent_at, phase = now(), RECORDER.phase
    status, parsed, error = None, None, None
    try:
        req = urllib.request.Request(BASE_URL + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as failure:
        status = failure.code
        try:
            raw = failure.read()
        except Exception:  # the connection broke while the error body was read
            raw = b""
    except (urllib.error.URLError, OSError, http.client.HTTPException) as failure:
        reason = getattr(failure, "reason", failure)
        error = "%s: %s" % (type(reason).__name__, reason)
        raw = b""
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"unparsed": raw[:200].decode("utf-8", "replace")}
    if record:
        entry = {"endpoint": endpoint or "%s %s" % (method, path), "user": user, "phase": phase,
                 "sent": sent_at, "answered": now(), "status": status, "error": error}
        if extra:
            entry.update(extra)
        if status is not None and status >= 500 and parsed is not None:
            entry["body"] = parsed
        RECORDER.add((entry, parsed))
    return status, parsed, error


# --- SQL --------------------------------------------------------------------------------

def sql(query, url=DATABASE_URL, timeout=60):
    """Rows of QUERY as a list of dicts (psql, one JSON value)."""
    wrapped = "SELECT coalesce(json_agg(row_to_json(t)), '[]'::json) FROM (%s) t" % query
    done = subprocess.run([PSQL, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", wrapped],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError("psql failed: %s" % done.stderr.strip())
    return json.loads(done.stdout)


def sql_retrying(query, seconds=120):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return sql(query)
        except Exception as failure:
            if time.monotonic() > deadline:
                raise
            say("SQL not answered yet (%s); retrying" % str(failure).splitlines()[0][:120])
            time.sleep(2)


# --- the webhook receiver ---------------------------------------------------------------

class Receiver:
    """Records every delivery: the path (one per user), webhook-id, the body's event, and
    whether the Standard Webhooks signature verifies with that user's secret."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = []
        self.secrets = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.record(self.path, self.headers, body)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, user):
        return "http://127.0.0.1:%d/hook/%s" % (self.port, user)

    def record(self, path, headers, body):
        user = path.rsplit("/", 1)[-1]
        event_id = headers.get("webhook-id")
        timestamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        verified = False
        secret = self.secrets.get(user)
        if secret and secret.startswith("whsec_"):
            key = base64.b64decode(secret[len("whsec_"):])
            expected = base64.b64encode(hmac.new(key, b"%s.%s.%s" % (event_id.encode(), timestamp.encode(), body),
                                                 hashlib.sha256).digest()).decode()
            verified = any(part == "v1," + expected for part in signature.split())
        with self.lock:
            self.deliveries.append({
                "at": now(), "user": user, "webhook_id_header": event_id, "body_id": event.get("id"),
                "type": event.get("type"), "data": event.get("data"), "signature_ok": verified,
            })

    def all(self):
        with self.lock:
            return list(self.deliveries)


# --- the load ---------------------------------------------------------------------------

WORDS = ("harbour lantern copper meadow falcon orchard quartz river saffron timber violet "
         "walnut glacier ember thistle cobalt juniper marble pepper willow").split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


class Load:
    def __init__(self):
        self.stop = threading.Event()
        self.counter = 0
        self.lock = threading.Lock()
        self.threads = []

    def next_number(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def memory_text(self, n, tag="load"):
        return "faults %s %s %d: I keep a %s on my desk." % (RUN_ID, tag, n, " ".join(random.sample(WORDS, 3)))

    def create_memory(self, user, tag="load", endpoint="POST /memories"):
        n = self.next_number()
        text = self.memory_text(n, tag)
        status, body, _ = request("POST", "/memories", user, {"text": text, "tags": ["faults"]},
                                  endpoint=endpoint, extra={"text": text, "kind": "memory"})
        memory_id = (body or {}).get("data", {}).get("id") if status == 201 else None
        return status, memory_id

    def add_document(self, user, paragraphs=2, endpoint="POST /context/add"):
        n = self.next_number()
        rng = random.Random(n)
        content = "Fault run %s document %d.\n\n" % (RUN_ID, n) + "\n\n".join(
            "%s. %s." % (sentence(rng, 12).capitalize(), sentence(rng, 10).capitalize()) for _ in range(paragraphs))
        body = {"documents": [{"content": content, "fileName": "faults-%s-%d.txt" % (RUN_ID, n)}], "source": "faults"}
        status, answer, _ = request("POST", "/context/add", user, body, endpoint=endpoint,
                                    extra={"text": content, "kind": "document"})
        return status, answer

    def search(self, user, which):
        query = " ".join(random.sample(WORDS, 3))
        if which == "memories":
            request("POST", "/memories/search", user, {"query": query, "limit": 5}, endpoint="POST /memories/search")
        else:
            request("POST", "/context/search", user,
                    {"query": query, "similarity_threshold": 1, "minimum_similarity_threshold": 0.1, "limit": 5},
                    endpoint="POST /context/search")

    def run_thread(self, index):
        interval = THREADS / RATE
        rng = random.Random(index)
        while not self.stop.is_set():
            began = time.monotonic()
            user = rng.choice(USERS)
            choice = rng.random()
            if choice < 0.35:
                self.create_memory(user)
            elif choice < 0.6:
                self.add_document(user)
            elif choice < 0.8:
                self.search(user, "memories")
            else:
                self.search(user, "context")
            self.stop.wait(max(0.0, interval - (time.monotonic() - began)))

    def start(self):
        for i in range(THREADS):
            thread = threading.Thread(target=self.run_thread, args=(i,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT + 5)


LOAD = Load()


# --- processes ----------------------------------------------------------------------------

STARTED = re.compile(r"^supervise\.sh: started (\S+) \(pid (\d+)\)")
EXITED = re.compile(r"^supervise\.sh: (\S+) exited \((.*?)\)")


def supervisor_lines():
    with open(os.path.join(WORK, "processes.log"), errors="replace") as log:
        return log.read().splitlines()


def current_pid(name):
    pid = None
    for line in supervisor_lines():
        match = STARTED.match(line)
        if match and match.group(1) == name:
            pid = int(match.group(2))
    return pid


def process_exits():
    """{name: [how, ...]} for every exit the supervisor logged."""
    exits = collections.defaultdict(list)
    for line in supervisor_lines():
        match = EXITED.match(line)
        if match:
            exits[match.group(1)].append(match.group(2))
    return dict(exits)


def is_program(pid, program):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return program.encode() in f.read()
    except OSError:
        return False


def wait_for_restart(name, old_pid, program, began, seconds=60):
    """Seconds from BEGAN (monotonic) until the supervisor has started NAME again (another
    pid running PROGRAM), and that pid."""
    while time.monotonic() - began < seconds:
        pid = current_pid(name)
        if pid and pid != old_pid and is_program(pid, program):
            return round(time.monotonic() - began, 2), pid
        time.sleep(0.1)
    return None, None


def watch_restart(detail, name, old_pid, program, began):
    """Watches for the restart in a thread from now on; the function returned waits for it
    and puts restarted_after_s and new_pid into DETAIL."""
    result = []
    thread = threading.Thread(target=lambda: result.extend(wait_for_restart(name, old_pid, program, began)), daemon=True)
    thread.start()

    def finish():
        thread.join()
        detail.update(zip(("restarted_after_s", "new_pid"), result))
    return finish


def postgres(command):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    done = subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), command], env=env,
                          capture_output=True, text=True, timeout=180)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RuntimeError("scripts/postgres.sh %s failed: %s" % (command, output))
    return output


# --- faults -------------------------------------------------------------------------------

def probe_until_recovered(began, fault):
    """From BEGAN (monotonic): seconds until GET /ready answers 200 and a memory create 201
    (api), and until that memory is enriched by a worker (pipeline). None: not within
    FAULTS_RECOVERY_SECONDS."""
    result = {"api_recovered_s": None, "pipeline_recovered_s": None, "probe_memory": None}
    deadline = began + RECOVERY_SECONDS
    memory_id = None
    while time.monotonic() < deadline:
        if memory_id is None:
            status, _, _ = request("GET", "/ready", endpoint="probe GET /ready", timeout=5)
            if status == 200:
                status, memory_id = LOAD.create_memory(USERS[0], tag="probe-%s" % fault, endpoint="probe POST /memories")
                if status == 201:
                    result["api_recovered_s"] = round(time.monotonic() - began, 2)
                    result["probe_memory"] = memory_id
        if memory_id is not None:
            status, body, _ = request("GET", "/memories/" + memory_id, USERS[0], endpoint="probe GET /memories/{id}",
                                      timeout=5)
            if status == 200 and (body or {}).get("data", {}).get("enrichment") == "done":
                result["pipeline_recovered_s"] = round(time.monotonic() - began, 2)
                return result
        time.sleep(0.5)
    return result


def worker_load(pid):
    rows = sql("""
        SELECT w.id,
               (SELECT count(*) FROM jobs j WHERE j.worker_id = w.id AND j.state = 'running') AS running,
               (SELECT coalesce(sum(cardinality(l.job_ids)), 0) FROM job_leases l WHERE l.worker_id = w.id) AS leased,
               array(SELECT j.id FROM jobs j WHERE j.worker_id = w.id AND j.state = 'running'
                     UNION SELECT unnest(l.job_ids) FROM job_leases l WHERE l.worker_id = w.id) AS job_ids
        FROM workers w WHERE w.pid = %d ORDER BY w.started_at DESC LIMIT 1""" % pid)
    return rows[0] if rows else None


def fault_worker(detail):
    name = "worker-1"
    pid = current_pid(name)
    if not pid or not is_program(pid, "context0-worker"):
        raise RuntimeError("no running %s in the supervisor's log" % name)
    # Work in flight: a few larger documents (about 30 chunks each), then wait until this
    # worker runs some of the jobs: preferably jobs marked running (their lease closed, so
    # only the rescuer gives them back), else jobs in an open lease (given back at once).
    for _ in range(4):
        LOAD.add_document(USERS[0], paragraphs=300, endpoint="burst POST /context/add")
    held, leased = None, None
    waited = time.monotonic()
    while time.monotonic() - waited < 20:
        held = worker_load(pid)
        if held and held["running"]:
            break
        if held and held["leased"]:
            leased = held
        time.sleep(0.1)
    else:
        held = leased or held
    detail.update({"process": name, "pid": pid, "worker_id": held and held["id"],
                   "jobs_running_at_kill": held and held["running"], "jobs_leased_at_kill": held and held["leased"]})
    began, killed_at = time.monotonic(), time.time()
    os.kill(pid, signal.SIGKILL)
    say("SIGKILL %s (pid %d, %s running, %s leased jobs)" % (name, pid, detail["jobs_running_at_kill"],
                                                          detail["jobs_leased_at_kill"]))
    restarted = watch_restart(detail, name, pid, "context0-worker", began)
    held_ids = [int(i) for i in (held or {}).get("job_ids") or []]

    def after():
        restarted()
        # The jobs the dead worker held: how long until each was run to its end by another.
        if not held_ids:
            return
        while time.monotonic() - began < RECOVERY_SECONDS:
            rows = sql("""SELECT count(*) FILTER (WHERE state IN ('available', 'running')) AS open,
                                 extract(epoch FROM max(finished_at))::float8 AS last FROM jobs WHERE id IN (%s)"""
                       % ",".join(map(str, held_ids)))
            if rows[0]["open"] == 0:
                detail["its_jobs_finished_after_s"] = round(rows[0]["last"] - killed_at, 2)
                return
            time.sleep(0.2)
        detail["its_jobs_finished_after_s"] = None
    return began, after


def fault_api(detail):
    pid = current_pid("api")
    if not pid or not is_program(pid, "context0-api"):
        raise RuntimeError("no running api in the supervisor's log")
    # Memory creates back to back from 6 threads, so that several are in flight when the
    # process dies: their outcome is unknown to the client, and the accounting checks that
    # each is there entirely or not at all.
    killed = threading.Event()

    def creates(user):
        while not killed.is_set():
            LOAD.create_memory(user, "burst", "burst POST /memories")
    burst = [threading.Thread(target=creates, args=(USERS[i % 2],)) for i in range(6)]
    for thread in burst:
        thread.start()
    time.sleep(0.3)
    began = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    killed.set()
    say("SIGKILL api (pid %d) with memory creates in flight from 6 threads" % pid)
    detail.update({"process": "api", "pid": pid})
    restarted = watch_restart(detail, "api", pid, "context0-api", began)

    def after():
        restarted()
        for thread in burst:
            thread.join(REQUEST_TIMEOUT + 5)
        ours = [e for e, _ in RECORDER.all() if e["endpoint"] == "burst POST /memories"]
        detail["burst_requests"] = len(ours)
        detail["burst_without_answer"] = sum(1 for e in ours if e["status"] is None)
    return began, after


def fault_pg_restart(detail):
    began = time.monotonic()
    postgres("stop")
    detail["stopped_after_s"] = round(time.monotonic() - began, 2)
    postgres("start")
    detail["database_back_after_s"] = round(time.monotonic() - began, 2)
    say("PostgreSQL restarted (stop %.1f s, back after %.1f s)" % (detail["stopped_after_s"], detail["database_back_after_s"]))
    return began, None


def fault_pg_outage(detail):
    began = time.monotonic()
    postgres("stop")
    detail["stopped_after_s"] = round(time.monotonic() - began, 2)
    say("PostgreSQL stopped for %g s" % DOWN_SECONDS)
    time.sleep(DOWN_SECONDS)
    # The API must answer 503 at once while the database is away (README: the outage gate).
    status, _, error = request("GET", "/ready", endpoint="probe GET /ready (database down)", timeout=10)
    detail["ready_while_down"] = status if status is not None else error
    postgres("start")
    detail["database_back_after_s"] = round(time.monotonic() - began, 2)
    say("PostgreSQL started again after %.1f s" % detail["database_back_after_s"])
    return began, None


FAULT_ACTIONS = {"worker": fault_worker, "api": fault_api, "pg-restart": fault_pg_restart, "pg-outage": fault_pg_outage}


def inject(fault):
    detail = {"fault": fault, "at_s": now()}
    if fault.startswith("pg-") and EXTERNAL_DATABASE:
        detail["skipped"] = "DATABASE_URL names an external server: PostgreSQL cannot be stopped here"
        say("skipping %s: %s" % (fault, detail["skipped"]))
        return detail
    RECORDER.phase = fault
    began, after = FAULT_ACTIONS[fault](detail)
    recovery = probe_until_recovered(began, fault)
    if after:
        after()
    detail.update(recovery)
    if fault == "pg-outage" and recovery["api_recovered_s"] is not None:
        detail["api_recovered_after_database_s"] = round(recovery["api_recovered_s"] - detail["database_back_after_s"], 2)
    say("%s: API recovered after %s s, pipeline after %s s" % (fault, recovery["api_recovered_s"], recovery["pipeline_recovered_s"]))
    RECORDER.phase = fault + " (quiet)"
    time.sleep(QUIET_SECONDS)
    return detail


# --- settling and accounting ------------------------------------------------------------

def accepted_writes(records):
    """The writes the API accepted (201), and the others (refused, 503, or no answer at all:
    the connection broke or timed out), whose outcome the accounting looks up by text."""
    memories, documents, others = [], [], []
    for entry, body in records:
        kind = entry.get("kind")
        if kind is None:
            continue
        if entry["status"] == 201:
            if kind == "memory":
                memories.append((entry, body["data"]["id"]))
            else:
                for document in body.get("documents", []):
                    documents.append((entry, document["id"], document.get("duplicate", False)))
        else:
            others.append(entry)
    return memories, documents, others


def quoted(values):
    return ",".join("'%s'" % v.replace("'", "''") for v in values) or "NULL"


def settle(memory_ids, document_ids):
    """Waits until every job the load caused is final, every accepted document indexed (or
    failed) and every accepted memory enriched; returns the seconds it took or None."""
    began = time.monotonic()
    last = None
    while True:
        state = sql_retrying("""
            SELECT (SELECT count(*) FROM jobs WHERE kind IN (%s) AND state IN ('available', 'running')) AS open_jobs,
                   (SELECT count(*) FROM context_documents WHERE id::text IN (%s) AND state NOT IN ('indexed', 'failed')) AS documents,
                   (SELECT count(*) FROM memories WHERE id::text IN (%s) AND enrichment = 'pending') AS memories,
                   (SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'retrying')) AS deliveries
            """ % (quoted(LOAD_KINDS), quoted(document_ids), quoted(memory_ids)))[0]
        if state != last:
            say("settling: %s" % json.dumps(state))
            last = state
        if not any(state.values()):
            return round(time.monotonic() - began, 1), state
        if time.monotonic() - began > SETTLE_SECONDS:
            return None, state
        time.sleep(2)


def account(faults, settle_seconds, settle_state):
    records = RECORDER.all()
    deliveries = RECEIVER.all()
    memories, documents, unknown = accepted_writes(records)
    memory_ids = [m for _, m in memories]
    document_ids = sorted({d for _, d, _ in documents})
    report = {"run_id": RUN_ID, "faults": faults, "settle_seconds": settle_seconds, "settle_state_at_end": settle_state}
    problems = []

    # -- requests --
    by_status = collections.Counter()
    unexpected_5xx = collections.Counter()
    outage_answers = collections.Counter()
    for entry, _ in records:
        key = entry["status"] if entry["status"] is not None else "no answer"
        by_status["%s | %s" % (entry["endpoint"], key)] += 1
        if entry["status"] is not None and entry["status"] >= 500 and entry["status"] != 503:
            unexpected_5xx["%s | %s | %s" % (entry["endpoint"], entry["status"], entry["phase"])] += 1
        elif entry["status"] == 503 or entry["status"] is None:
            outage_answers["%s | %s" % (entry["phase"], key)] += 1
    report["requests"] = {
        "total": len(records),
        "by_endpoint_and_status": dict(sorted(by_status.items())),
        "unexpected_5xx": dict(unexpected_5xx),
        "unexpected_5xx_count": sum(unexpected_5xx.values()),
        "expected_503_or_no_answer_by_phase": dict(sorted(outage_answers.items())),
        "other_4xx": {k: v for k, v in by_status.items() if re.search(r"\| 4\d\d$", k)},
    }
    if unexpected_5xx:
        problems.append("%d answers 5xx other than 503: %s" % (sum(unexpected_5xx.values()), dict(unexpected_5xx)))
    examples = [e for e, _ in records if e["status"] is not None and e["status"] >= 500 and e["status"] != 503][:5]
    if examples:
        report["requests"]["unexpected_5xx_examples"] = examples

    # -- accepted writes --
    stored_memories = {r["id"]: r for r in sql_retrying(
        "SELECT id::text, user_id, text, enrichment, deleted_at IS NOT NULL AS deleted FROM memories")}
    stored_documents = {r["id"]: r for r in sql_retrying("""
        SELECT d.id::text, d.user_id, d.state, d.node_count, d.content,
               (SELECT count(*) FROM context_nodes n WHERE n.document_id = d.id) AS nodes,
               (SELECT count(*) FROM context_nodes n WHERE n.document_id = d.id AND n.embedding IS NOT NULL) AS embedded
        FROM context_documents d""")}
    lost_memories = [m for m in memory_ids if m not in stored_memories]
    not_enriched = [m for m in memory_ids if m in stored_memories and stored_memories[m]["enrichment"] != "done"]
    lost_documents = [d for d in document_ids if d not in stored_documents]
    not_indexed = {d: stored_documents[d]["state"] for d in document_ids
                   if d in stored_documents and stored_documents[d]["state"] != "indexed"}
    half_indexed = [d for d in document_ids if d in stored_documents and stored_documents[d]["state"] == "indexed"
                    and (stored_documents[d]["embedded"] != stored_documents[d]["nodes"] or not stored_documents[d]["nodes"])]
    # Writes not answered 201: each must be there whole or not at all (never twice); one
    # refused with a 4xx must not be there at all.
    texts = collections.Counter(r["text"] for r in stored_memories.values())
    contents = collections.Counter(r["content"] for r in stored_documents.values())
    stored_count = lambda entry: (texts if entry["kind"] == "memory" else contents)[entry["text"]]
    unknown_summary = collections.Counter()
    duplicated_writes, refused_but_stored = [], []
    for entry in unknown:
        found = stored_count(entry)
        answer = entry["status"] if entry["status"] is not None else "no answer"
        unknown_summary["%s %s: %s" % (entry["kind"], answer, "committed" if found else "not committed")] += 1
        if found > 1:
            duplicated_writes.append(entry["text"][:80])
        if found and entry["status"] is not None and 400 <= entry["status"] < 500:
            refused_but_stored.append(entry)
    for entry, _ in [r for r in records if r[0].get("kind") and r[0]["status"] == 201]:
        if stored_count(entry) > 1:
            duplicated_writes.append(entry["text"][:80])
    sent_texts = {e["text"] for e, _ in records if e.get("kind")}
    phantoms = [r["id"] for r in list(stored_memories.values()) if r["text"] not in sent_texts] + \
               [r["id"] for r in stored_documents.values() if r["content"] not in sent_texts]
    lost_writes = len(lost_memories) + len(lost_documents) + len(not_indexed) + len(not_enriched) + len(half_indexed)
    report["writes"] = {
        "memories_accepted": len(memory_ids), "documents_accepted": len(document_ids),
        "memories_lost": lost_memories, "memories_not_enriched": not_enriched,
        "documents_lost": lost_documents, "documents_not_indexed": not_indexed,
        "documents_indexed_with_nodes_missing_vectors": half_indexed,
        "writes_not_answered_201": dict(unknown_summary),
        "writes_stored_twice": duplicated_writes, "rows_nobody_asked_for": phantoms,
        "refused_with_4xx_but_stored": refused_but_stored,
        "lost_count": lost_writes,
    }
    if lost_writes:
        problems.append("%d accepted writes lost or unfinished (memories lost %d, not enriched %d; documents lost %d, "
                        "not indexed %d, indexed with nodes missing vectors %d)" % (
                            lost_writes, len(lost_memories), len(not_enriched), len(lost_documents),
                            len(not_indexed), len(half_indexed)))
    if duplicated_writes or phantoms or refused_but_stored:
        problems.append("writes stored twice: %d, rows nobody asked for: %d, refused with a 4xx but stored: %d" % (
            len(duplicated_writes), len(phantoms), len(refused_but_stored)))

    # -- jobs --
    open_jobs = sql_retrying("""
        SELECT id, kind, state, attempt, max_attempts, run_at, errors FROM jobs
        WHERE state IN ('available', 'running')
          AND (kind IN (%s) OR run_at < now() - interval '2 minutes')""" % quoted(LOAD_KINDS))
    failed_jobs = sql_retrying("SELECT id, kind, attempt, errors, args FROM jobs WHERE state = 'failed'")
    job_rows = sql_retrying("SELECT kind, state::text, args::text AS args FROM jobs WHERE kind IN ('context.ingest', 'context.embed')")
    jobs_of = collections.defaultdict(list)
    for row in job_rows:
        for document in set(re.findall(r"[0-9a-fA-F-]{36}", row["args"])):
            jobs_of[document.lower()].append("%s %s" % (row["kind"], row["state"]))
    # A document not indexed with no live job left to index it: its work vanished.
    vanished = {d: jobs_of.get(d, []) for d in document_ids
                if d in stored_documents and stored_documents[d]["state"] != "indexed"
                and not any(j.endswith((" available", " running")) for j in jobs_of.get(d, []))}
    rescued = sql_retrying("""
        SELECT kind, count(*) AS jobs, sum(jsonb_array_length(errors)) AS error_entries FROM jobs
        WHERE errors::text LIKE '%rescued%' GROUP BY kind ORDER BY kind""")
    by_state = sql_retrying("SELECT kind, state::text, count(*) AS jobs FROM jobs GROUP BY kind, state ORDER BY kind, state")
    lost_jobs = len(open_jobs) + len(failed_jobs) + len(vanished)
    report["jobs"] = {
        "by_kind_and_state": by_state, "rescued": rescued,
        "unfinished_after_settle": open_jobs, "failed": failed_jobs,
        "documents_not_indexed_without_their_jobs": vanished, "lost_count": lost_jobs,
    }
    if lost_jobs:
        problems.append("%d jobs lost (unfinished after the settle deadline %d, failed for good %d, "
                        "documents not indexed whose jobs vanished %d)" % (lost_jobs, len(open_jobs), len(failed_jobs), len(vanished)))

    # -- webhooks --
    events = sql_retrying("SELECT id, user_id, type, data FROM webhook_events")
    delivery_rows = sql_retrying("SELECT d.event_id, d.status, d.attempts FROM webhook_deliveries d")
    received = collections.Counter(d["webhook_id_header"] for d in deliveries)
    key_of = lambda e: (e["type"], (e.get("data") or {}).get("memory_id") or (e.get("data") or {}).get("document_id"))
    ids_by_key = collections.defaultdict(set)
    for d in deliveries:
        ids_by_key[key_of(d)].add(d["webhook_id_header"])
    events_by_key = collections.defaultdict(set)
    for e in events:
        events_by_key[key_of(e)].add(e["id"])
    never_delivered = [e["id"] for e in events if received[e["id"]] == 0]
    different_ids = {"%s %s" % k: sorted(v) for k, v in ids_by_key.items() if len(v) > 1 and k[0] != "job.failed"}
    emitted_twice = {"%s %s" % k: sorted(v) for k, v in events_by_key.items() if len(v) > 1 and k[0] != "job.failed"}
    header_body_mismatch = [d for d in deliveries if d["webhook_id_header"] != d["body_id"]]
    bad_signatures = [d for d in deliveries if not d["signature_ok"]]
    unknown_ids = [i for i in received if i not in {e["id"] for e in events}]
    missing_events = []
    for m in memory_ids:
        if not events_by_key.get(("memory.created", m)):
            missing_events.append("memory.created " + m)
    for d in document_ids:
        if d in stored_documents and not any(entry for entry, doc, dup in documents if doc == d and not dup):
            continue  # only duplicates of it were accepted: no new event is due
        if not events_by_key.get(("context.added", d)):
            missing_events.append("context.added " + d)
        if stored_documents.get(d, {}).get("state") == "indexed" and not events_by_key.get(("context.indexed", d)):
            missing_events.append("context.indexed " + d)
    delivery_status = collections.Counter(r["status"] for r in delivery_rows)
    webhook_problems = len(never_delivered) + len(different_ids) + len(emitted_twice) + len(missing_events) + \
        len(header_body_mismatch) + len(bad_signatures) + len(unknown_ids)
    report["webhooks"] = {
        "events": len(events), "deliveries_received": len(deliveries),
        "events_by_type": dict(collections.Counter(e["type"] for e in events)),
        "redelivered_with_the_same_id": {i: n for i, n in received.items() if n > 1},
        "delivery_rows_by_status": dict(delivery_status),
        "events_never_delivered": never_delivered,
        "one_change_delivered_under_different_ids": different_ids,
        "one_change_emitted_as_several_events": emitted_twice,
        "accepted_writes_without_their_event": missing_events,
        "webhook_id_header_differs_from_body_id": header_body_mismatch[:10],
        "bad_signatures": len(bad_signatures), "delivered_ids_not_in_webhook_events": unknown_ids,
        "problem_count": webhook_problems,
    }
    if webhook_problems:
        problems.append("webhooks: %d events never delivered, %d changes delivered under different ids, %d changes emitted "
                        "as several events, %d accepted writes without their event, %d header/body id mismatches, "
                        "%d bad signatures, %d unknown ids" % (
                            len(never_delivered), len(different_ids), len(emitted_twice), len(missing_events),
                            len(header_body_mismatch), len(bad_signatures), len(unknown_ids)))

    # -- billing --
    usage = sql_retrying("SELECT user_id, metric, sum(quantity)::bigint AS quantity FROM usage_hourly GROUP BY user_id, metric")
    metered = {(u["user_id"], u["metric"]): u["quantity"] for u in usage}
    truth = {r["user_id"]: r for r in sql_retrying("""
        SELECT u.user_id,
               (SELECT count(*) FROM context_nodes n WHERE n.user_id = u.user_id AND n.embedding IS NOT NULL) AS embedded_chunks,
               (SELECT coalesce(sum(octet_length(d.content) + CASE WHEN d.metadata = '{}'::jsonb THEN 0
                                    ELSE octet_length(d.metadata::text) END), 0)
                FROM context_documents d WHERE d.user_id = u.user_id) AS stored_bytes,
               (SELECT count(*) FROM memories m WHERE m.user_id = u.user_id) AS memories,
               (SELECT count(*) FROM context_documents d WHERE d.user_id = u.user_id) AS documents
        FROM (VALUES %s) AS u (user_id)""" % ",".join("('%s')" % u for u in USERS))}
    billing = {}
    wrong_billing = 0
    committed_unknown = collections.Counter()
    for entry in unknown:
        if stored_count(entry):
            committed_unknown[(entry["user"], entry["kind"])] += 1
    for user in USERS:
        accepted_memories = sum(1 for e, _ in memories if e["user"] == user)
        accepted_documents = len({d for e, d, dup in documents if e["user"] == user})
        rows = {
            "embedded_chunks": {"metered": metered.get((user, "embedded_chunks"), 0),
                                "data": truth[user]["embedded_chunks"]},
            "stored_bytes": {"metered": metered.get((user, "stored_bytes"), 0), "data": truth[user]["stored_bytes"]},
            "memories": {"accepted": accepted_memories,
                         "committed_without_201": committed_unknown[(user, "memory")],
                         "data": truth[user]["memories"]},
            "documents": {"accepted": accepted_documents,
                          "committed_without_201": committed_unknown[(user, "document")],
                          "data": truth[user]["documents"]},
            "requests_metered": {k: v for (u, k), v in metered.items() if u == user and k.startswith("requests.")},
        }
        for metric in ("embedded_chunks", "stored_bytes"):
            rows[metric]["ok"] = rows[metric]["metered"] == rows[metric]["data"]
        for metric in ("memories", "documents"):
            rows[metric]["ok"] = rows[metric]["data"] == rows[metric]["accepted"] + rows[metric]["committed_without_201"]
        wrong_billing += sum(1 for metric in ("embedded_chunks", "stored_bytes", "memories", "documents") if not rows[metric]["ok"])
        billing[user] = rows
    answered = collections.Counter()
    for entry, _ in records:
        if entry["user"] and entry["status"] is not None and entry["status"] not in (401, 503):
            answered[entry["user"]] += 1
    for user in USERS:
        billing[user]["requests_answered_not_503"] = answered[user]
        billing[user]["requests_metered_total"] = sum(billing[user]["requests_metered"].values())
    report["billing"] = billing
    report["billing_wrong_count"] = wrong_billing
    if wrong_billing:
        problems.append("%d billing figures disagree with the data: %s" % (wrong_billing, json.dumps(
            {u: {m: r[m] for m in ("embedded_chunks", "stored_bytes", "memories", "documents") if not r[m]["ok"]}
             for u, r in billing.items()})))

    # -- recovery --
    for fault in faults:
        if fault.get("skipped"):
            continue
        if fault.get("api_recovered_s") is None or fault.get("pipeline_recovered_s") is None:
            problems.append("%s: not recovered within %g s (API %s, pipeline %s)" % (
                fault["fault"], RECOVERY_SECONDS, fault.get("api_recovered_s"), fault.get("pipeline_recovered_s")))
    report["process_exits"] = process_exits()
    if settle_seconds is None:
        problems.append("the work did not settle within %g s: %s" % (SETTLE_SECONDS, json.dumps(settle_state)))
    report["problems"] = problems
    report["passed"] = not problems
    return report


def summary(report):
    lines = ["", "fault-injection run %s: %s" % (report["run_id"], "PASSED" if report["passed"] else "FAILED")]
    lines.append("  %-11s %10s %12s %14s  %s" % ("fault", "at (s)", "API back (s)", "pipeline (s)", "details"))
    for f in report["faults"]:
        if f.get("skipped"):
            lines.append("  %-11s skipped: %s" % (f["fault"], f["skipped"]))
            continue
        details = {k: v for k, v in f.items() if k not in ("fault", "at_s", "api_recovered_s", "pipeline_recovered_s",
                                                         "probe_memory", "worker_id")}
        lines.append("  %-11s %10.1f %12s %14s  %s" % (f["fault"], f["at_s"], f["api_recovered_s"],
                                                     f["pipeline_recovered_s"], json.dumps(details)))
    w, j, h, r = report["writes"], report["jobs"], report["webhooks"], report["requests"]
    lines.append("  requests: %d in all; unexpected 5xx: %d; 503 or no answer by phase: %s" % (
        r["total"], r["unexpected_5xx_count"], json.dumps(r["expected_503_or_no_answer_by_phase"])))
    lines.append("  accepted writes: %d memories, %d documents; lost or unfinished: %d; not answered 201: %s" % (
        w["memories_accepted"], w["documents_accepted"], w["lost_count"], json.dumps(w["writes_not_answered_201"])))
    lines.append("  jobs: lost %d (unfinished %d, failed %d, vanished %d); rescued: %s" % (
        j["lost_count"], len(j["unfinished_after_settle"]), len(j["failed"]), len(j["documents_not_indexed_without_their_jobs"]),
        json.dumps({x["kind"]: x["jobs"] for x in j["rescued"]})))
    lines.append("  webhooks: %d events, %d deliveries received, %d redelivered with the same id, problems: %d" % (
        h["events"], h["deliveries_received"], len(h["redelivered_with_the_same_id"]), h["problem_count"]))
    for user, rows in report["billing"].items():
        lines.append("  billing %s: embedded_chunks %s/%s, stored_bytes %s/%s, memories %s, documents %s (metered/data)" % (
            user, rows["embedded_chunks"]["metered"], rows["embedded_chunks"]["data"], rows["stored_bytes"]["metered"],
            rows["stored_bytes"]["data"], rows["memories"]["data"], rows["documents"]["data"]))
    lines.append("  requests metered/answered (not 401/503), informative: %s" % json.dumps(
        {u: "%d/%d" % (r["requests_metered_total"], r["requests_answered_not_503"]) for u, r in report["billing"].items()}))
    lines.append("  wrong billing figures: %d; settled in %s s; process exits: %s" % (
        report["billing_wrong_count"], report["settle_seconds"], json.dumps(report["process_exits"])))
    for problem in report["problems"]:
        lines.append("  PROBLEM: " + problem)
    return "\n".join(lines)


RECEIVER = None


def main():
    global RECEIVER
    unknown = [f for f in FAULTS if f not in FAULT_ACTIONS]
    if unknown:
        say("unknown faults %s (known: %s)" % (unknown, ", ".join(ALL_FAULTS)))
        return 2
    RECEIVER = Receiver()
    for user in USERS:
        status, body, error = request("POST", "/webhooks", user, {"url": RECEIVER.url(user), "events": EVENTS,
                                                                  "description": "faults.py receiver"},
                                      endpoint="setup POST /webhooks")
        if status != 201:
            say("could not register the webhook of %s: %s %s" % (user, status, body or error))
            return 2
        RECEIVER.secrets[user] = body["data"]["secret"]
    say("run %s: receiver on port %d, faults %s, %g requests/s from %d threads" % (
        RUN_ID, RECEIVER.port, ",".join(FAULTS), RATE, THREADS))
    LOAD.start()
    time.sleep(WARMUP_SECONDS)
    faults = []
    try:
        for fault in FAULTS:
            faults.append(inject(fault))
    finally:
        RECORDER.phase = "after the faults"
        LOAD.finish()
    say("load stopped after %d requests; waiting for the work to settle" % len(RECORDER.all()))
    memories, documents, _ = accepted_writes(RECORDER.all())
    settle_seconds, settle_state = settle([m for _, m in memories], [d for _, d, _ in documents])
    # Deliveries the workers marked delivered have reached the receiver; give in-flight
    # requests a moment anyway.
    time.sleep(1)
    report = account(faults, settle_seconds, settle_state)
    with open(os.path.join(WORK, "faults.json"), "w") as f:
        json.dump(report, f, indent=2, default=str)
    with open(os.path.join(WORK, "requests.jsonl"), "w") as f:
        for entry, _ in RECORDER.all():
            f.write(json.dumps(entry) + "\n")
    with open(os.path.join(WORK, "webhooks.jsonl"), "w") as f:
        for delivery in RECEIVER.all():
            f.write(json.dumps(delivery) + "\n")
    print(summary(report), file=sys.stderr, flush=True)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
