#!/usr/bin/env bash
# scripts/fuzz.sh [short|long]: property-based fuzzing of the HTTP API from the OpenAPI
# document it serves (GET /api/v1/openapi.json), with Schemathesis (requirements/fuzz.txt).
# `make test` runs it short (a fixed seed, so the same inputs each time; about 1,700
# requests, most of them the coverage phase's boundary values, in about 25 s on two cores);
# `make fuzz` long (100 random cases per operation, a new seed each time; about 3 minutes).
#
# In a database of its own (context0_fuzz_<random>, dropped at the end) it starts
# context0-api on a free loopback port (offline: no LLM_*, the native embedder; metered
# with rate limits no run reaches; hard quotas never roll up) and one context0-worker
# without the `webhooks` queue (fuzzed webhooks name hosts on the internet: nothing is
# delivered). Then two Schemathesis runs, each over every operation of the document:
#
#   tenants    as two signed-in users, alice (a JWT from `context0-admin token`) and bob
#              (an API key from `context0-admin keys create`), with a few objects of
#              alice's to aim at (Tests/Fuzz/seed.py): the examples, coverage and fuzzing
#              phases and every check but the two about undeclared methods
#              (Tests/Fuzz/tenants.toml), including that a 2xx needs credentials
#              (ignored_auth) and that bob never reads alice's objects
#              (object_level_authorization).
#   strangers  without valid credentials (Tests/Fuzz/strangers.toml, Tests/Fuzz/hooks.py):
#              each request carries one of a set of hostile credentials (none, garbage,
#              unknown or malformed API keys, JWTs that are expired, unsigned, signed with
#              another secret or algorithm, with empty claims; a valid token without
#              scopes; a disabled user's token), and the answer must be the documented
#              refusal (401; 403 without the scope or for the disabled user, 402 where the
#              spec says so).
#
# A run fails on any response >= 500 and any response the document does not describe
# (status, content type, body schema, headers). Schemathesis's reports (JUnit, the VCR
# cassette of every request, NDJSON events) and the server logs stay in the folder printed
# at the end when something failed (always with FUZZ_KEEP=1).
#
# Environment:
#   FUZZ_EXAMPLES  test cases per operation in the tenants run's fuzzing phase (short 5,
#                  long 100); the strangers run makes at least 10
#   FUZZ_PHASES    the tenants run's phases (default: examples,coverage,fuzzing; e.g.
#                  `fuzzing` alone for a few hundred requests)
#   FUZZ_SEED      Schemathesis seed (short 13; long: random, printed, to repeat a run)
#   FUZZ_MAX_TIME  seconds the long form's fuzzing may take in all (default: no limit)
#   FUZZ_WORKERS   concurrent Schemathesis workers (default 1)
#   FUZZ_TIMEOUT   seconds after which a run counts as hung and is stopped (short 900,
#                  long 14400)
#   FUZZ_KEEP=1    keep the report folder after a run that passed
#   DATABASE_URL, CONTEXT0_BIN_DIR  as scripts/test-sdks.sh: a PostgreSQL whose user may
#                  create databases (else the embedded one, started and stopped here) and
#                  the executables (else .build/release). Nothing is built here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
source scripts/lib.sh

log() { echo "fuzz.sh: $*" >&2; }
die() { log "$*"; exit 1; }

MODE="${1:-short}"
case "$MODE" in
    short) EXAMPLES="${FUZZ_EXAMPLES:-5}" SEED="${FUZZ_SEED:-13}" TIME_LIMIT="${FUZZ_TIMEOUT:-900}" ;;
    long) EXAMPLES="${FUZZ_EXAMPLES:-100}" SEED="${FUZZ_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}" TIME_LIMIT="${FUZZ_TIMEOUT:-14400}" ;;
    *) die "usage: scripts/fuzz.sh [short|long]" ;;
esac

BIN="${CONTEXT0_BIN_DIR:-$ROOT/.build/release}"
require_executables
scripts/setup.sh requirements/fuzz.txt
PYTHON="$ROOT/.deps/venv/bin/python"
ST="$ROOT/.deps/venv/bin/st"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/context0-fuzz.XXXXXX")"
pids=()
fuzz_db=""
admin_url=""
failed=0

# One statement against the server DATABASE_URL names (lib.sh).
run_sql() { run_sql_at "$admin_url" "$1"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_processes "${pids[@]}"
    [[ -n "$fuzz_db" ]] && { run_sql "DROP DATABASE IF EXISTS $fuzz_db WITH (FORCE)" || log "could not drop $fuzz_db"; }
    release_database
    if ((status != 0 || failed != 0)); then
        show_log_tails "$WORK"/*.log
        log "reports, cassettes and server logs kept in $WORK"
    elif [[ "${FUZZ_KEEP:-0}" == 1 ]]; then
        log "reports, cassettes and server logs kept in $WORK"
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
create_scratch_database fuzz_db FUZZ_DATABASE_URL context0_fuzz "$WORK/migrate.log" || die "could not create and migrate a database"

# --- the API and one worker ------------------------------------------------------------
# A secret of this run's own: the hooks mint the hostile JWTs with it.
JWT_SECRET="$(random_secret)"
# Is process $1 still running? (kill -0 also succeeds for a child that exited unwaited.)
alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

# Offline (no LLM_*), the native embedder with one thread, private webhook targets refused.
# Metered as in production, with limits no run reaches; hard quotas are only flagged by the
# usage roll-up, which runs once a day here.
start() { # start NAME COMMAND [ENV=VALUE...]
    local name="$1" command="$2"
    shift 2
    env -u LLM_BASE_URL -u LLM_MODEL -u LLM_API_KEY -u EMBEDDER -u MINILM_MODEL_DIR -u WEBHOOK_ALLOW_PRIVATE \
        DATABASE_URL="$FUZZ_DATABASE_URL" JWT_SECRET="$JWT_SECRET" HOST=127.0.0.1 LOG_LEVEL=notice \
        METERING=on RATE_LIMITS=standard=100000000,search=100000000,batch=100000000,ai=100000000 \
        BILLING_ROLLUP_INTERVAL_MS=86400000 MINILM_THREADS=1 "$@" \
        "$BIN/$command" >"$WORK/$name.log" 2>&1 &
    pids+=($!)
}


api_port="$(free_port)"
start api context0-api PORT="$api_port"
api_pid="${pids[-1]}"
start worker context0-worker WORKER_QUEUES=default=4,ingest=2,embedding=1,extraction=1,maintenance=1
worker_pid="${pids[-1]}"
BASE_URL="http://127.0.0.1:$api_port/api/v1"
wait_for_ping "$BASE_URL" "$api_pid"
log "API at $BASE_URL, database $fuzz_db, $MODE form: $EXAMPLES examples per operation, seed $SEED"

# --- callers ---------------------------------------------------------------------------
admin() { DATABASE_URL="$FUZZ_DATABASE_URL" JWT_SECRET="$JWT_SECRET" "$BIN/context0-admin" "$@"; }
# A request as TOKEN, so that its user exists (users are created on their first request).
arrive() {
    "$PYTHON" -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[1] + "/billing/limits", headers={"Authorization": "Bearer " + sys.argv[2]})
urllib.request.urlopen(r, timeout=30).read()' "$BASE_URL" "$1"
}
alice_token="$(admin token --user fuzz-alice --ttl 24h)"
bob_key="$(admin keys create --user fuzz-bob --name fuzz | tail -n 1)"
[[ "$bob_key" == c0_* ]] || die "context0-admin keys create printed no key"
mallory_token="$(admin token --user fuzz-mallory --ttl 24h)"
arrive "$mallory_token"
admin users disable fuzz-mallory --reason "fuzz.sh: a disabled user's token" >/dev/null

# A few objects of alice's for the operations on one object (hooks.py sends most valid
# ids there).
SEEDED_IDS="$("$PYTHON" Tests/Fuzz/seed.py "$BASE_URL" "$alice_token")" || die "could not create alice's objects"

# The signed-in tenants, in Web Fuzzing Commons' format; the file holds live credentials.
WFC_FILE="$WORK/tenants.json"
(umask 077 && "$PYTHON" -c 'import json, sys
auth = [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": "Bearer " + credential}]}
        for name, credential in (("alice", sys.argv[1]), ("bob", sys.argv[2]))]
json.dump({"schemaVersion": "0.1.0", "auth": auth}, sys.stdout)' "$alice_token" "$bob_key" >"$WFC_FILE")

# --- the runs --------------------------------------------------------------------------
# One Schemathesis worker by default: the server shares the machine, and CPython before
# 3.11.8 may fail ast.parse in concurrent threads (gh-106905), which Hypothesis calls.
run_options=(--seed "$SEED" --workers "${FUZZ_WORKERS:-1}" --request-timeout 120
    --report junit,vcr,ndjson --no-color)
# The long form reports every failing case of an operation, not only its first.
[[ "$MODE" == long ]] && run_options+=(--continue-on-failure)
[[ "$MODE" == long && -n "${FUZZ_MAX_TIME:-}" ]] && run_options+=(--max-time "$FUZZ_MAX_TIME")
tenant_options=(--max-examples "$EXAMPLES")
[[ -n "${FUZZ_PHASES:-}" ]] && tenant_options+=(--phases "$FUZZ_PHASES")

fuzz() { # fuzz NAME [st run options...]: one Schemathesis run with Tests/Fuzz/NAME.toml
    local name="$1" status=0
    shift
    log "run '$name': st run ${run_options[*]} $*"
    (cd "$WORK" && SCHEMATHESIS_HOOKS="$ROOT/Tests/Fuzz/hooks.py" FUZZ_CALLERS="$name" FUZZ_JWT_SECRET="$JWT_SECRET" \
        FUZZ_WFC_FILE="$WFC_FILE" FUZZ_SEEDED_IDS="$SEEDED_IDS" FUZZ_DISABLED_USER=fuzz-mallory PYTHONDONTWRITEBYTECODE=1 \
        timeout "$TIME_LIMIT" "$ST" --config-file "$ROOT/Tests/Fuzz/$name.toml" run \
        "$BASE_URL/openapi.json" "${run_options[@]}" --report-dir "$WORK/$name" "$@") || status=$?
    summaries+=("$(summary "$name" "$status")")
    ((status == 0)) || failed=1
}

summary() { # summary NAME STATUS: one line, from the run's NDJSON report
    "$PYTHON" Tests/Fuzz/summary.py "$1" "$2" "$WORK/$1" || echo "$1: exit $2 (no report to summarise)"
}

summaries=()
fuzz tenants "${tenant_options[@]}"
# At least 10 examples per operation: each request draws one of 16 hostile credentials.
fuzz strangers --max-examples $((EXAMPLES < 10 ? 10 : EXAMPLES))
for process in "api:$api_pid" "worker:$worker_pid"; do
    alive "${process#*:}" || { log "context0-${process%%:*} exited during the run"; failed=1; }
done

echo >&2
for line in "${summaries[@]}"; do log "$line"; done
if ((failed)); then
    log "fuzzing found failures (seed $SEED): see the reports above; repeat with FUZZ_SEED=$SEED scripts/fuzz.sh $MODE"
    exit 1
fi
log "fuzzing passed: no response >= 500, none the document does not describe"
