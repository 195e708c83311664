#!/usr/bin/env bash
# `make bench-usage`: what per-request metering + rate limiting costs on cheap endpoints
# (two API processes on one fresh database `bench_usage`, one with METERING=off, interleaved),
# and webhook deliveries/s and latency to a local receiver with 1 and 2 worker processes.
# Prints RESULT lines, then RATIO lines (with/without metering). See docs/benchmarks-usage.md.
#
#   USERS (100), CLIENTS (16), REQUESTS (3000 per process and case at 1 client),
#   CONCURRENT_REQUESTS (12000 at CLIENTS), ROUNDS (10), CASES (ping,auth-only,limits,limits-hot),
#   METERING_OFF (METERING=off: the NAME=value that turns metering off in the API),
#   BURST_EVENTS (5000), PACED_EVENTS (600), PACED_RATE (60/s), WORKER_COUNTS (1,2),
#   WORKER_QUEUES_BENCH (webhooks=32), ASYNC_COMMIT=1 (the database's sessions commit with
#   synchronous_commit = off), BENCH_USAGE_ARGS (more context0-bench-usage options),
#   SKIP_BUILD=1 (do not build context0-bench-usage)
#
# The API and worker under test are the release binaries already in .build/release: this
# script builds only its own product (under /tmp/swift-build.lock, shared with other builds).
# Uses DATABASE_URL if set, else the embedded server (started if needed, stopped after).
# JWT_SECRET: as `make run` (the development secret in .data/jwt-secret unless set).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
started_at=$SECONDS

source scripts/lib.sh
prepare_benchmark

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    CONTEXT0_BENCHMARKS=1 flock /tmp/swift-build.lock swift build -c release --product context0-bench-usage >&2
fi
BIN="$ROOT/.build/release"
for program in context0-api context0-worker context0-bench-usage; do
    [[ -x "$BIN/$program" ]] || { echo "Benchmarks/Usage/run.sh: $BIN/$program is missing: build first (CONTEXT0_BENCHMARKS=1 swift build -c release)" >&2; exit 1; }
done
logs="$(mktemp -d -t context0-bench-usage.XXXXXX)"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
echo "binaries: context0-api $(date -u -r "$BIN/context0-api" +%FT%TZ), context0-worker $(date -u -r "$BIN/context0-worker" +%FT%TZ); git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+uncommitted')" >&2
# shellcheck disable=SC2086 # BENCH_USAGE_ARGS is a list of options
"$BIN/context0-bench-usage" --database-url "$URL" --log-directory "$logs" \
    --users "${USERS:-100}" --clients "${CLIENTS:-16}" \
    --requests "${REQUESTS:-3000}" --concurrent-requests "${CONCURRENT_REQUESTS:-12000}" --rounds "${ROUNDS:-10}" \
    --cases "${CASES:-ping,auth-only,limits,limits-hot}" --metering-off "${METERING_OFF:-METERING=off}" \
    --burst-events "${BURST_EVENTS:-5000}" --paced-events "${PACED_EVENTS:-600}" --paced-rate "${PACED_RATE:-60}" \
    --worker-counts "${WORKER_COUNTS:-1,2}" --worker-queues "${WORKER_QUEUES_BENCH:-webhooks=32}" \
    $([[ "${ASYNC_COMMIT:-0}" == 1 ]] && echo --async-commit) ${BENCH_USAGE_ARGS:-}
echo "Benchmarks/Usage/run.sh: done in $((SECONDS - started_at)) s (server logs: $logs)" >&2
