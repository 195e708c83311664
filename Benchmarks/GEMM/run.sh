#!/usr/bin/env bash
# Builds bench.c with the kernels of Sources/CEmbeddingKernels and compares c0_linear_packed
# (and the attention products) with OpenBLAS cblas_sgemm, single-threaded, under
# OPENBLAS_CORETYPE=Haswell (this machine's environment) and with OpenBLAS choosing its own
# kernels, in alternating processes (OPENBLAS_CORETYPE is read when the library loads).
# usage: Benchmarks/GEMM/run.sh [rounds=3] [repeats per process=5]
# BENCH_LEVEL=1|2|3 forces our kernels' instruction set; CC, CFLAGS override the compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../Sources/CEmbeddingKernels"
rounds="${1:-3}"
repeats="${2:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"${CC:-clang}" ${CFLAGS:--O3} -Wall -I"$src/include" "$here/bench.c" "$src/Gemm.c" "$src/Kernels.c" \
    -lopenblas -lm -o "$out/bench"

export OPENBLAS_NUM_THREADS=1
echo "== correctness"
"$out/bench" check | sed 's/^CHECK //'

for round in $(seq "$rounds"); do
    echo "== round $round/$rounds" >&2
    OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 "$out/bench" haswell "$repeats" >>"$out/results"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$out/bench" default "$repeats" >>"$out/results"
done

# RESULT <tag> <shape> <rows> <impl> <best> <median>: ours from every process, cblas by tag.
echo
echo "== GFLOP/s, one thread: best over all repeats / median of the processes' medians"
awk '
/^RESULT/ {
    impl = $5; if (impl ~ /^cblas/ || impl == "few_rows") impl = impl "@" $2;
    if (impl == "few_rows@default") next;
    key = $3 " " $4; k = key SUBSEP impl;
    if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    if (!(impl in seenimpl)) { seenimpl[impl] = 1 }
    if ($6 > best[k]) best[k] = $6;
    med[k, ++n[k]] = $7;
}
function median(k,   i, j, t, m, a) {
    m = n[k]; for (i = 1; i <= m; i++) a[i] = med[k, i];
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2;
}
function cell(key, impl,   k) { k = key SUBSEP impl; return (k in best) ? sprintf("%6.1f /%6.1f", best[k], median(k)) : sprintf("%15s", "-") }
function ratio(key, a, b,   ka, kb) { ka = key SUBSEP a; kb = key SUBSEP b; return (ka in best && kb in best) ? sprintf("%5.2fx", median(ka) / median(kb)) : "    -" }
BEGIN { }
END {
    printf "%-18s %6s | %15s | %15s | %15s | %15s | %s\n", "shape (in x out)", "rows", "ours", "cblas Haswell", "cblas default", "few_rows (H)", "ours/Haswell ours/default";
    for (i = 1; i <= nk; i++) {
        key = keys[i]; split(key, f, " ");
        qk = f[1] == "attention/n";
        if (qk) {
            printf "%-18s %6s | %15s | %15s | %15s | %15s | %s %s\n", "attention Q.K^T", f[2], cell(key, "ours_qk"), cell(key, "cblas_qk@haswell"), cell(key, "cblas_qk@default"), "", ratio(key, "ours_qk", "cblas_qk@haswell"), ratio(key, "ours_qk", "cblas_qk@default");
            printf "%-18s %6s | %15s | %15s | %15s | %15s | %s %s\n", "attention P.V", f[2], cell(key, "ours_pv"), cell(key, "cblas_pv@haswell"), cell(key, "cblas_pv@default"), "", ratio(key, "ours_pv", "cblas_pv@haswell"), ratio(key, "ours_pv", "cblas_pv@default");
        } else {
            printf "%-18s %6s | %15s | %15s | %15s | %15s | %s %s\n", f[1], f[2], cell(key, "ours"), cell(key, "cblas@haswell"), cell(key, "cblas@default"), cell(key, "few_rows@haswell"), ratio(key, "ours", "cblas@haswell"), ratio(key, "ours", "cblas@default");
        }
    }
}' "$out/results"
