#!/usr/bin/env bash
# `make bench-search`: search latency and the vector arm's recall@10 (against an exact scan)
# for three shapes of tenants sharing one database, each on a fresh database (see
# docs/benchmarks-search.md):
#   one-big      one tenant owning 100,000 of 120,000 chunks
#   many-small   1,000 tenants of 100 chunks each (the searching one among them)
#   small-among  one tenant of 5,000 chunks among 200,000 other tenants' chunks (200 tenants)
# Prints each shape's RESULT lines from Benchmarks/API/run.sh (--search-only), prefixed with
# `SHAPE <name>`. SHAPES picks some (default: all three); SKIP_BUILD=1 uses the release build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

declare -A chunks=([one-big]="100000 20000 1" [many-small]="100 99900 999" [small-among]="5000 200000 200")
skip_build=${SKIP_BUILD:-0}
for shape in ${SHAPES:-one-big many-small small-among}; do
    read -r search other tenants <<<"${chunks[$shape]}"
    echo "bench-search: shape $shape: $search searching chunks, $other others among $tenants tenants" >&2
    SKIP_BUILD=$skip_build SEARCH_CHUNKS=$search OTHER_CHUNKS=$other FLOOD_DOCUMENTS=0 \
        BENCH_API_ARGS="--other-tenants $tenants --search-only ${BENCH_API_ARGS:-}" \
        Benchmarks/API/run.sh | grep '^RESULT' | sed "s/^/SHAPE $shape /"
    skip_build=1
done
