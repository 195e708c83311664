#!/usr/bin/env bash
# `make run`: install what is missing, start the embedded PostgreSQL unless DATABASE_URL
# is set, apply migrations, build (release), and run the API plus WORKER_PROCESSES worker
# processes in the foreground. Ctrl-C (or SIGTERM) stops everything this script started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

source scripts/lib.sh
scripts/setup.sh
pids=()
stop_all() {
    trap - INT TERM EXIT
    if ((${#pids[@]})); then
        echo "run.sh: stopping API and workers…" >&2
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
    release_database
}
trap stop_all INT TERM EXIT

ensure_database
ensure_jwt_secret

swift build -c release
BIN="$(swift build -c release --show-bin-path)"
"$BIN/context0-admin" migrate

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export HOST PORT
"$BIN/context0-api" & pids+=($!)
for ((i = 0; i < ${WORKER_PROCESSES:-2}; i++)); do
    "$BIN/context0-worker" & pids+=($!)
done

echo
echo "Context0 is running at http://$HOST:$PORT/api/v1 (try: curl http://$HOST:$PORT/api/v1/ping)"
if "$BIN/context0-admin" --help | grep -qE '^ +token '; then
    echo "Development token: $("$BIN/context0-admin" token --user dev --ttl 24h)"
fi
echo "Admin CLI: $BIN/context0-admin jobs stats | workers | queues. Press Ctrl-C to stop."
# Stay in the foreground until Ctrl-C, or until one of the processes exits by itself.
wait -n "${pids[@]}" || true
