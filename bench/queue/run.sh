#!/usr/bin/env bash
# `make bench-queue`: Context0's queue against PgQueuer and Procrastinate, same workload,
# same PostgreSQL, same run. Prints one RESULT line per system, then the RATIO line.
#
#   JOBS (100000), WORKERS (2), LATENCY_SAMPLES (200), CONCURRENCY (500 per worker process)
#
# Uses DATABASE_URL if set, else the embedded server (started if needed, stopped after).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
JOBS="${JOBS:-100000}"
WORKERS="${WORKERS:-2}"
SAMPLES="${LATENCY_SAMPLES:-200}"
CONCURRENCY="${CONCURRENCY:-500}"

source scripts/lib.sh
scripts/setup.sh requirements/bench-queue.txt
trap release_database EXIT
ensure_database
URL="$DATABASE_URL"

swift build -c release >&2
BIN="$(swift build -c release --show-bin-path)"
out="$(mktemp)"
trap 'rm -f "$out"; release_database' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
"$BIN/context0-bench-queue" --database-url "$URL" --jobs "$JOBS" --workers "$WORKERS" \
    --concurrency "$CONCURRENCY" --latency-samples "$SAMPLES" | tee -a "$out"
for peer in pgqueuer procrastinate; do
    .deps/venv/bin/python bench/queue/peers.py --system "$peer" --database-url "$URL" \
        --jobs "$JOBS" --workers "$WORKERS" --latency-samples "$SAMPLES" | tee -a "$out"
done

# RATIO: our jobs/s over each peer's.
awk '
    /^RESULT bench=queue/ {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); field[kv[1]] = kv[2] }
        rate[field["system"]] = field["jobs_per_s"]
    }
    END {
        line = "RATIO bench=queue"
        for (s in rate) if (s != "context0" && rate[s] > 0) line = line sprintf(" %s=%.2f", s, rate["context0"] / rate[s])
        print line
    }' "$out"
