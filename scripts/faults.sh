#!/usr/bin/env bash
# scripts/faults.sh: the fault-injection suite. Under a steady mixed load it kills and
# restarts the processes and the database one after the other, then checks that nothing
# accepted was lost, nothing was done twice and the bill is right (Tests/Faults/faults.py
# generates the load, injects the faults and does the accounting; docs/reliability.md has
# the figures of a run). `make test-faults` runs it.
#
# In a database of its own (context0_faults_<random>, dropped at the end) it starts, all
# three under scripts/supervise.sh (SUPERVISE_MAX_BACKOFF=2, so a killed process is back
# within a few seconds): one context0-api on a free loopback port (offline: no LLM_*, the
# native embedder with one thread; metered, with rate limits no run reaches; private webhook
# targets allowed; a JWT secret of this run's own) and two context0-worker processes with
# the default queues. faults.py then
#
#   - starts a webhook receiver on a free loopback port that records every delivery
#     (`webhook-id`, the event, whether its signature verifies) and answers 200;
#   - registers one webhook per user (users faults-a and faults-b, JWTs from
#     `context0-admin token`) for memory.created, context.added, context.indexed and
#     job.failed;
#   - runs a steady load from a few threads for the whole run (FAULTS_RATE requests a
#     second in all): memory creates, document adds (each text unique), memory and
#     context searches, every request and its answer recorded;
#   - injects the faults, in this order, each followed by a quiet period, measuring the
#     seconds until a probe (GET /ready 200 and a memory create 201) succeeds and until the
#     probe's memory is also enriched by a worker:
#       worker     SIGKILL worker-1 (by pid) while it holds jobs; the supervisor restarts it
#       api        SIGKILL the API while a burst of memory creates is in flight
#       pg-restart scripts/postgres.sh stop, then start
#       pg-outage  scripts/postgres.sh stop, FAULT_DOWN_SECONDS with no database, start
#   - stops the load and waits (FAULTS_SETTLE_SECONDS) for every job to finish and every
#     accepted document to be indexed, then counts: accepted writes lost, jobs lost
#     (unfinished, failed, vanished), webhook events missing or sent twice under different
#     ids, billing that disagrees with the data (embedded_chunks, stored_bytes, memories and
#     documents per user), answers 5xx other than 503, and the recovery times.
#
# It exits 0 only when no accepted write, no job was lost, the bill is right, no answer was
# an unexpected 5xx and every fault was recovered from. The PostgreSQL faults restart the
# shared embedded server (.data/postgres): run nothing else against it meanwhile. With an
# external DATABASE_URL they cannot be made and are skipped (said so in the report).
#
# Reports: faults.json (every figure), requests.jsonl (every request), webhooks.jsonl (every
# delivery), processes.log (the supervisor, API and workers) in a folder printed at the end,
# kept when the run failed or with FAULTS_KEEP=1. Takes about 3 minutes with the defaults
# (15 s of warm-up, four faults with 25 s of quiet after each, the 30 s outage, a settle
# that takes seconds when nothing is stuck).
#
# Environment:
#   FAULTS               the faults to inject, comma-separated, in the order given
#                        (default worker,api,pg-restart,pg-outage)
#   FAULT_DOWN_SECONDS   how long pg-outage keeps PostgreSQL stopped (default 30)
#   FAULTS_QUIET_SECONDS seconds of load after each fault has been recovered from (default 25)
#   FAULTS_WARMUP_SECONDS seconds of load before the first fault (default 15)
#   FAULTS_SETTLE_SECONDS how long to wait for the work to finish after the load (default 300)
#   FAULTS_RECOVERY_SECONDS how long a fault may take to be recovered from (default 180)
#   FAULTS_RATE          requests a second of the load, in all (default 3)
#   FAULTS_THREADS       load threads (default 3)
#   FAULTS_LOG_LEVEL     LOG_LEVEL of the API and workers (default notice)
#   FAULTS_KEEP=1        keep the report folder after a run that passed
#   DATABASE_URL, CONTEXT0_BIN_DIR  as scripts/test-sdks.sh: a PostgreSQL whose user may
#                        create databases (else the embedded one, started and stopped here
#                        if it was not running) and the executables (else .build/release).
#                        Nothing is built here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
source scripts/lib.sh

log() { echo "faults.sh: $*" >&2; }
die() { log "$*"; exit 1; }

BIN="${CONTEXT0_BIN_DIR:-$ROOT/.build/release}"
require_executables
scripts/setup.sh
PYTHON="$ROOT/.deps/venv/bin/python"

# The PostgreSQL faults need the embedded server, which this script may stop and start.
EXTERNAL_DATABASE=0
[[ -n "${DATABASE_URL:-}" ]] && EXTERNAL_DATABASE=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/context0-faults.XXXXXX")"
supervisor_pid=""
faults_db=""
admin_url=""
failed=0

# One statement against the server DATABASE_URL names (lib.sh).
run_sql() { run_sql_at "$admin_url" "$1"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "$supervisor_pid" ]]; then
        kill -TERM "$supervisor_pid" 2>/dev/null || true
        wait "$supervisor_pid" 2>/dev/null || true
    fi
    # A run stopped during an outage leaves the server down: start it again to drop the database.
    if ((!EXTERNAL_DATABASE)) && ! env -u DATABASE_URL scripts/postgres.sh status >/dev/null 2>&1; then
        env -u DATABASE_URL scripts/postgres.sh start >&2 || true
    fi
    [[ -n "$faults_db" ]] && { run_sql "DROP DATABASE IF EXISTS $faults_db WITH (FORCE)" || log "could not drop $faults_db"; }
    release_database
    if ((status != 0 || failed != 0)); then
        [[ -s "$WORK/processes.log" ]] && { echo "---- last lines of processes.log" >&2; tail -n 40 "$WORK/processes.log" >&2; }
        log "reports and server logs kept in $WORK"
    elif [[ "${FAULTS_KEEP:-0}" == 1 ]]; then
        log "reports and server logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a database of its own, migrated ---------------------------------------------------
ensure_database
admin_url="$DATABASE_URL"
create_scratch_database faults_db FAULTS_DATABASE_URL context0_faults "$WORK/migrate.log" || die "could not create and migrate a database"

# --- the API and two workers, supervised -----------------------------------------------
JWT_SECRET="$(random_secret)"
api_port="$(free_port)"
BASE_URL="http://127.0.0.1:$api_port/api/v1"

# Everything the three processes share; supervise.sh passes its environment on.
(
    unset LLM_BASE_URL LLM_MODEL LLM_API_KEY EMBEDDER MINILM_MODEL_DIR WORKER_QUEUES
    export DATABASE_URL="$FAULTS_DATABASE_URL" JWT_SECRET HOST=127.0.0.1 PORT="$api_port" LOG_LEVEL="${FAULTS_LOG_LEVEL:-notice}" \
        METERING=on RATE_LIMITS=standard=100000000,search=100000000,batch=100000000,ai=100000000 \
        WEBHOOK_ALLOW_PRIVATE=1 BILLING_ROLLUP_INTERVAL_MS=86400000 MINILM_THREADS=1 \
        SUPERVISE_MAX_BACKOFF=2 SHUTDOWN_TIMEOUT=20
    exec scripts/supervise.sh api "$BIN/context0-api" :: worker-1 "$BIN/context0-worker" :: worker-2 "$BIN/context0-worker"
) >"$WORK/processes.log" 2>&1 &
supervisor_pid=$!

for ((i = 0; i < 300; i++)); do
    "$PYTHON" -c 'import json, sys, urllib.request
sys.exit(json.load(urllib.request.urlopen(sys.argv[1] + "/ping", timeout=2))["data"]["database"] != "ok")' "$BASE_URL" 2>/dev/null && break
    kill -0 "$supervisor_pid" 2>/dev/null || die "scripts/supervise.sh exited"
    ((i < 299)) || die "no answer from $BASE_URL/ping within 60 s"
    sleep 0.2
done
log "API at $BASE_URL, database $faults_db, reports in $WORK"

admin() { DATABASE_URL="$FAULTS_DATABASE_URL" JWT_SECRET="$JWT_SECRET" "$BIN/context0-admin" "$@"; }
TOKENS="{\"faults-a\": \"$(admin token --user faults-a --ttl 2h)\", \"faults-b\": \"$(admin token --user faults-b --ttl 2h)\"}"

# --- the load, the faults and the accounting --------------------------------------------
status=0
FAULTS_BASE_URL="$BASE_URL" FAULTS_DATABASE_URL="$FAULTS_DATABASE_URL" FAULTS_WORK="$WORK" \
    FAULTS_TOKENS="$TOKENS" FAULTS_ROOT="$ROOT" FAULTS_EXTERNAL_DATABASE="$EXTERNAL_DATABASE" \
    FAULTS_PSQL="$ROOT/.deps/pginstall/bin/psql" PYTHONDONTWRITEBYTECODE=1 \
    "$PYTHON" Tests/Faults/faults.py || status=$?
kill -0 "$supervisor_pid" 2>/dev/null || { log "scripts/supervise.sh exited during the run"; failed=1; }
if ((status != 0)); then
    failed=1
    log "the fault-injection suite failed (exit $status): see the summary above and $WORK/faults.json"
    exit 1
fi
((failed == 0)) || exit 1
log "the fault-injection suite passed"
