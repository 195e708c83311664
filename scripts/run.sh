#!/usr/bin/env bash
# `make run`: install what is missing, start the embedded PostgreSQL unless DATABASE_URL
# is set, apply migrations, build (release), and run the API plus WORKER_PROCESSES worker
# processes in the foreground under scripts/supervise.sh, which restarts any of them that
# exits (with back-off) while the others keep running. Ctrl-C (or SIGTERM, SIGHUP) stops
# everything this script started: the supervisor stops the processes (SHUTDOWN_TIMEOUT,
# default 30 s, then SIGKILL), and then the embedded PostgreSQL is stopped.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

source scripts/lib.sh
scripts/setup.sh
# The supervisor runs in the background, so Ctrl-C in the terminal does not reach it (bash
# starts background commands with SIGINT ignored): it hears of the stop once, as the SIGTERM
# sent here, and the database goes only after it has stopped its processes. A second Ctrl-C
# while it stops is passed on too, and makes it kill them at once.
supervisor=""
supervisor_status=0
stop_all() {
    trap - EXIT
    if [[ -n "$supervisor" ]]; then
        trap 'kill -TERM "$supervisor" 2>/dev/null || true' INT TERM HUP
        kill -TERM "$supervisor" 2>/dev/null || true
        # `wait` returns early when a trapped signal arrives: again until the supervisor is gone.
        while :; do
            supervisor_status=0
            wait "$supervisor" 2>/dev/null || supervisor_status=$?
            kill -0 "$supervisor" 2>/dev/null || break
        done
    fi
    trap - INT TERM HUP
    release_database
}
# After a stop signal the script ends with the supervisor's status (0: every process stopped
# in time, as `make run` ended before), or with 128 + the signal before it started.
stop_on() { # stop_on STATUS
    stop_all
    [[ -z "$supervisor" ]] || exit "$supervisor_status"
    exit "$1"
}
trap stop_all EXIT
trap 'stop_on 130' INT
trap 'stop_on 143' TERM
trap 'stop_on 129' HUP

ensure_database
ensure_jwt_secret

swift build -c release
BIN="$(swift build -c release --show-bin-path)"
"$BIN/context0-admin" migrate

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export HOST PORT
processes=(api "$BIN/context0-api")
for ((i = 1; i <= ${WORKER_PROCESSES:-2}; i++)); do
    processes+=(:: "worker-$i" "$BIN/context0-worker")
done
scripts/supervise.sh "${processes[@]}" &
supervisor=$!

echo
echo "Context0 is running at http://$HOST:$PORT/api/v1 (try: curl http://$HOST:$PORT/api/v1/ping)"
if "$BIN/context0-admin" --help | grep -qE '^ +token '; then
    echo "Development token: $("$BIN/context0-admin" token --user dev --ttl 24h)"
fi
echo "Admin CLI: $BIN/context0-admin jobs stats | workers | queues. Press Ctrl-C to stop."
# Stay in the foreground until Ctrl-C (the traps above end the script), or until the
# supervisor exits by itself: only when it cannot start (its message says why).
status=0
wait "$supervisor" || status=$?
exit "$status"
