#!/usr/bin/env bash
# `make bench-memories`: the Memory API end to end, in a release build, with the API and
# WORKERS worker processes (offline mode) on this machine, on a fresh database
# `bench_memories`. Prints RESULT lines: create and search at 1 and CLIENTS clients with
# MEMORIES memories loaded, chat-to-searchable and create-to-searchable (by words, by
# meaning). See docs/benchmarks-memories.md.
#
#   MEMORIES (100000), WORKERS (1), CLIENTS (16), CREATE_REQUESTS (500 per level),
#   SEARCH_REQUESTS (500 per level), CHAT_MESSAGES (20), FRESH_SAMPLES (30),
#   BENCH_MEMORIES_ARGS (more options),
#   SKIP_BUILD=1 (use the release binaries already built)
#
# Uses DATABASE_URL if set, else the embedded server (started if needed, stopped after).
# JWT_SECRET: as `make run` (the development secret in .data/jwt-secret unless set).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
started_at=$SECONDS

source scripts/lib.sh
prepare_benchmark

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    # Other builds may share the machine: one swift build at a time.
    for product in context0-api context0-worker context0-bench-memories; do
        CONTEXT0_BENCHMARKS=1 flock /tmp/swift-build.lock swift build -c release --product "$product" >&2
    done
fi
BIN="$ROOT/.build/release"
for program in context0-api context0-worker context0-bench-memories; do
    [[ -x "$BIN/$program" ]] || { echo "Benchmarks/Memories/run.sh: $BIN/$program is missing: build first (CONTEXT0_BENCHMARKS=1 swift build -c release)" >&2; exit 1; }
done
logs="$(mktemp -d -t context0-bench-memories.XXXXXX)"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
# shellcheck disable=SC2086 # BENCH_MEMORIES_ARGS is a list of options
"$BIN/context0-bench-memories" --database-url "$URL" --log-directory "$logs" \
    --memories "${MEMORIES:-100000}" --workers "${WORKERS:-1}" --clients "${CLIENTS:-16}" \
    --create-requests "${CREATE_REQUESTS:-500}" --search-requests "${SEARCH_REQUESTS:-500}" \
    --chat-messages "${CHAT_MESSAGES:-20}" --fresh-samples "${FRESH_SAMPLES:-30}" ${BENCH_MEMORIES_ARGS:-}
echo "Benchmarks/Memories/run.sh: done in $((SECONDS - started_at)) s (server logs: $logs)" >&2
