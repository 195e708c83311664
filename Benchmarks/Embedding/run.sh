#!/usr/bin/env bash
# Embedding benchmark: Context0's native MiniLM against sentence-transformers on PyTorch and
# ONNX Runtime, on the same texts, single-threaded and on all cores (`make bench-embed`).
#
# Prints a `CPU` line (model, cores, the vector instruction sets it has), one `RESULT
# bench=embed system=… threads=…` line per system and mode (Context0's with the kernels it
# used; on an AVX-512 CPU also `system=context0-avx2`, its AVX2 kernels forced), a `CHECK` line
# per peer comparing its vectors with ours, and last the ratios, ours / theirs, of throughput
# and of single-query latency (below 1 is faster for us):
#   RATIO bench=embed threads=1 pytorch=<ours/theirs> onnxruntime=<ours/theirs>
#   RATIO bench=embed-query threads=1 pytorch=<ours/theirs> onnxruntime=<ours/theirs>
#
# Environment: MINILM_MODEL_DIR (default .deps/minilm, made by the project's set-up),
# BENCH_CHUNKS (256-token chunks per run, default 128), BENCH_QUERIES (default 300),
# SWIFT_BUILD_LOCK (a file to flock around the Swift build). OpenBLAS settings such as
# OPENBLAS_CORETYPE are passed through unchanged; see docs/benchmarks-embed.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
MODEL_DIR=${MINILM_MODEL_DIR:-$ROOT/.deps/minilm}
VENV=${BENCH_EMBED_VENV:-$ROOT/.deps/bench-embed-venv}
ONNX=$ROOT/.deps/minilm-onnx/model.onnx
OUT=$ROOT/Benchmarks/Embedding/results
CHUNKS=${BENCH_CHUNKS:-128}
QUERIES=${BENCH_QUERIES:-300}
mkdir -p "$OUT"

log() { echo "bench-embed: $*" >&2; }

if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    PATH=/opt/swift/usr/bin:$PATH
fi

if [ ! -f "$MODEL_DIR/model.safetensors" ]; then
    log "no model at $MODEL_DIR: run the project's set-up (make run / make test) or set MINILM_MODEL_DIR"
    exit 1
fi

# 1. The peers' Python: Debian's python3-torch plus pinned PyPI packages in a venv.
if ! /usr/bin/python3 -c 'import torch, venv' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        log "installing python3-torch python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-venv >&2
    else
        log "missing Debian packages; run: sudo apt-get install python3-torch python3-venv"
        exit 1
    fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements/bench-embed.txt >&2
PY="$VENV/bin/python"

# 2. The same texts for everyone, and the ONNX export (cached).
"$PY" Benchmarks/Embedding/make_texts.py "$CHUNKS" > "$OUT/texts.json"
if [ ! -f "$ONNX" ]; then
    log "exporting the model to ONNX"
    "$PY" Benchmarks/Embedding/peers.py --export-onnx "$ONNX" --model-dir "$MODEL_DIR" 2> "$OUT/onnx-export.log"
fi

# 3. Our benchmark, release build.
build() { if [ -n "${SWIFT_BUILD_LOCK:-}" ]; then flock "$SWIFT_BUILD_LOCK" "$@"; else "$@"; fi; }
build env CONTEXT0_BENCHMARKS=1 swift build -c release --product context0-embedding-benchmark >&2
BIN=$(CONTEXT0_BENCHMARKS=1 swift build -c release --show-bin-path)/context0-embedding-benchmark

# 4. Run every system in its own process, one mode at a time. On a CPU with AVX-512, Context0
#    also runs with its AVX2 kernels forced (system=context0-avx2): the path AVX2-only CPUs take.
RESULTS=$OUT/results.txt
: > "$RESULTS"
features=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -x -E 'avx512f|avx512bw|avx2|fma' | sort | paste -sd, - || true)
model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//; s/ /_/g' || true)
echo "CPU bench=embed model=${model:-unknown} cores=$(nproc) features=${features:-none}" | tee -a "$RESULTS"
variants=(context0)
case ",$features," in *,avx512f,*) variants+=(context0-avx2) ;; esac
for threads in 1 all; do
    dump=()
    compare=()
    if [ "$threads" = 1 ]; then
        dump=(--dump "$OUT/context0-vectors.json")
        compare=(--compare "$OUT/context0-vectors.json")
    fi
    for variant in "${variants[@]}"; do
        kernels=()
        [ "$variant" = context0-avx2 ] && kernels=(--kernels avx2)
        "$BIN" --texts "$OUT/texts.json" --threads "$threads" --model-dir "$MODEL_DIR" --system "$variant" \
            --queries "$QUERIES" "${kernels[@]}" "${dump[@]}" | tee -a "$RESULTS"
        dump=()
    done
    for system in pytorch onnxruntime; do
        "$PY" Benchmarks/Embedding/peers.py --system "$system" --threads "$threads" --texts "$OUT/texts.json" \
            --model-dir "$MODEL_DIR" --onnx "$ONNX" --queries "$QUERIES" "${compare[@]}" 2> "$OUT/$system-$threads.log" \
            | tee -a "$RESULTS"
    done
done

# 5. Ratios per Context0 variant and mode, ours / theirs: throughput (chunks_per_s, higher is
#    better for us) and single-query latency (query_p50_ms, lower is better for us).
for variant in "${variants[@]}"; do
    for threads in all 1; do
        awk -v threads="$threads" -v ours="$variant" '
            $1 == "RESULT" {
                name = ""; mode = ""; rate = ""; query = ""
                for (i = 2; i <= NF; i++) {
                    split($i, kv, "=")
                    if (kv[1] == "system") name = kv[2]
                    if (kv[1] == "threads") mode = kv[2]
                    if (kv[1] == "chunks_per_s") rate = kv[2]
                    if (kv[1] == "query_p50_ms") query = kv[2]
                }
                if (mode == threads) { r[name] = rate; q[name] = query }
            }
            function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "nan" }
            END {
                label = ours == "context0" ? "" : " system=" ours
                n = split("pytorch onnxruntime", peers, " ")
                printf "RATIO bench=embed%s threads=%s", label, threads
                for (i = 1; i <= n; i++) printf " %s=%s", peers[i], ratio(r[ours], r[peers[i]])
                printf "\nRATIO bench=embed-query%s threads=%s", label, threads
                for (i = 1; i <= n; i++) printf " %s=%s", peers[i], ratio(q[ours], q[peers[i]])
                printf "\n"
            }' "$RESULTS"
    done
done | tee -a "$RESULTS"
