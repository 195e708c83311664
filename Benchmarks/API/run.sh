#!/usr/bin/env bash
# `make bench-api`: the Context API end to end, in a release build, with the API and
# WORKERS worker processes on this machine, on a fresh database `bench_api`. Prints RESULT
# lines (add, add-to-searchable, search at 1 and CLIENTS clients, search's two parts alone)
# and last the RATIO line. See docs/benchmarks-api.md.
#
#   WORKERS (2), CLIENTS (16), SEARCH_CHUNKS (100000), OTHER_CHUNKS (20000),
#   SEARCH_REQUESTS (400 at 1 client), CONCURRENT_SEARCH_REQUESTS (2000),
#   ADD_REQUESTS (2000), INDEXED_SAMPLES (30), FLOOD_DOCUMENTS (10000; 0 skips the fairness
#   phase), BENCH_API_ARGS (more context0-bench-api options),
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
    CONTEXT0_BENCHMARKS=1 swift build -c release >&2
fi
BIN="$ROOT/.build/release"
[[ "${SKIP_BUILD:-0}" == 1 ]] || BIN="$(CONTEXT0_BENCHMARKS=1 swift build -c release --show-bin-path)"
for program in context0-api context0-worker context0-bench-api; do
    [[ -x "$BIN/$program" ]] || { echo "Benchmarks/API/run.sh: $BIN/$program is missing: build first (CONTEXT0_BENCHMARKS=1 swift build -c release)" >&2; exit 1; }
done
out="$(mktemp)"
logs="$(mktemp -d -t context0-bench-api.XXXXXX)"
trap 'rm -f "$out"; release_database' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
# shellcheck disable=SC2086 # BENCH_API_ARGS is a list of options
"$BIN/context0-bench-api" --database-url "$URL" --log-directory "$logs" \
    --workers "${WORKERS:-2}" --clients "${CLIENTS:-16}" \
    --search-chunks "${SEARCH_CHUNKS:-100000}" --other-chunks "${OTHER_CHUNKS:-20000}" \
    --search-requests "${SEARCH_REQUESTS:-400}" --concurrent-search-requests "${CONCURRENT_SEARCH_REQUESTS:-2000}" \
    --add-requests "${ADD_REQUESTS:-2000}" --indexed-samples "${INDEXED_SAMPLES:-30}" \
    --flood-documents "${FLOOD_DOCUMENTS:-10000}" \
    ${BENCH_API_ARGS:-} | tee -a "$out"

# RATIO: end-to-end search p50 over the p50s of its two parts (query embedding + bare SQL)
# added up, at 1 client (search_overhead) and at CLIENTS clients.
awk '
    /^RESULT bench=api op=search(-parts)? / {
        delete field
        for (i = 1; i <= NF; i++) { split($i, kv, "="); field[kv[1]] = kv[2] }
        if (field["op"] == "search") total[field["clients"]] = field["p50_ms"]
        else parts[field["clients"]] = field["parts_p50_ms"]
    }
    END {
        line = "RATIO bench=api"
        if (parts[1] > 0) line = line sprintf(" search_overhead=%.2f", total[1] / parts[1])
        for (c in parts) if (c != 1 && parts[c] > 0) line = line sprintf(" search_overhead_c%s=%.2f", c, total[c] / parts[c])
        print line
    }' "$out"
echo "Benchmarks/API/run.sh: done in $((SECONDS - started_at)) s (server logs: $logs)" >&2
