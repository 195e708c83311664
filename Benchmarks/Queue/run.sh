#!/usr/bin/env bash
# `make bench-queue`: Context0's queue against PgQueuer and Procrastinate, same workload,
# same PostgreSQL, same run. Prints one RESULT line per system, then the RATIO line.
#
#   JOBS (100000), WORKERS (2), LATENCY_SAMPLES (200), CONCURRENCY (500 per worker process),
#   ROUNDS (3: Context0 and PgQueuer alternate, each reports its median; Procrastinate once)
#
# Uses DATABASE_URL if set, else the embedded server (started if needed, stopped after).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
JOBS="${JOBS:-100000}"
WORKERS="${WORKERS:-2}"
SAMPLES="${LATENCY_SAMPLES:-200}"
CONCURRENCY="${CONCURRENCY:-500}"
ROUNDS="${ROUNDS:-3}"

source scripts/lib.sh
scripts/setup.sh requirements/bench-queue.txt
trap release_database EXIT
ensure_database
URL="$DATABASE_URL"

CONTEXT0_BENCHMARKS=1 swift build -c release >&2
BIN="$(CONTEXT0_BENCHMARKS=1 swift build -c release --show-bin-path)"
out="$(mktemp)"
trap 'rm -f "$out"; release_database' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
# The machine is shared and noisy: Context0 and PgQueuer (seconds per run) alternate for
# ROUNDS rounds and each reports its median; Procrastinate (minutes per run) runs once.
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    "$BIN/context0-bench-queue" --database-url "$URL" --jobs "$JOBS" --workers "$WORKERS" \
        --concurrency "$CONCURRENCY" --latency-samples "$SAMPLES" | tee -a "$out" >&2
    .deps/venv/bin/python Benchmarks/Queue/peers.py --system pgqueuer --database-url "$URL" \
        --jobs "$JOBS" --workers "$WORKERS" --latency-samples "$SAMPLES" | tee -a "$out" >&2
done
.deps/venv/bin/python Benchmarks/Queue/peers.py --system procrastinate --database-url "$URL" \
    --jobs "$JOBS" --workers "$WORKERS" --latency-samples "$SAMPLES" | tee -a "$out" >&2

# One RESULT line per system (the median of its rounds, field by field), then RATIO: our
# jobs/s over each peer's.
awk '
    function median(list,    n, values, i, j, t) {
        n = split(list, values, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && values[j - 1] + 0 > values[j] + 0; j--) {
            t = values[j]; values[j] = values[j - 1]; values[j - 1] = t
        }
        return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
    }
    /^RESULT bench=queue/ {
        delete field
        for (i = 1; i <= NF; i++) { split($i, kv, "="); field[kv[1]] = kv[2] }
        s = field["system"]
        if (!(s in rate)) order[++systems] = s
        rate[s] = rate[s] " " field["jobs_per_s"]; p50[s] = p50[s] " " field["p50_ms"]; p99[s] = p99[s] " " field["p99_ms"]
        jobs[s] = field["jobs"]; rounds[s]++
    }
    END {
        for (k = 1; k <= systems; k++) {
            s = order[k]; median_rate[s] = median(rate[s])
            printf "RESULT bench=queue system=%s jobs=%s jobs_per_s=%.1f p50_ms=%.2f p99_ms=%.2f\n", s, jobs[s], median_rate[s], median(p50[s]), median(p99[s])
            if (rounds[s] > 1) printf "rounds: %s jobs_per_s =%s\n", s, rate[s] > "/dev/stderr"
        }
        line = "RATIO bench=queue"
        for (k = 1; k <= systems; k++) {
            s = order[k]
            if (s != "context0" && median_rate[s] > 0) line = line sprintf(" %s=%.2f", s, median_rate["context0"] / median_rate[s])
        }
        print line
    }' "$out"
