#!/usr/bin/env bash
# Embedding benchmark: Context0's native MiniLM against sentence-transformers on PyTorch and
# ONNX Runtime, on the same texts, single-threaded and on all cores (`make bench-embed`).
#
# Prints one `RESULT bench=embed system=… threads=…` line per system and mode, a `CHECK` line
# per peer comparing its vectors with ours, and last the throughput ratios:
#   RATIO bench=embed threads=1 pytorch=<ours/theirs> onnxruntime=<ours/theirs>
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

# 4. Run every system in its own process, one mode at a time.
RESULTS=$OUT/results.txt
: > "$RESULTS"
for threads in 1 all; do
    dump=()
    compare=()
    if [ "$threads" = 1 ]; then
        dump=(--dump "$OUT/context0-vectors.json")
        compare=(--compare "$OUT/context0-vectors.json")
    fi
    "$BIN" --texts "$OUT/texts.json" --threads "$threads" --model-dir "$MODEL_DIR" \
        --queries "$QUERIES" "${dump[@]}" | tee -a "$RESULTS"
    for system in pytorch onnxruntime; do
        "$PY" Benchmarks/Embedding/peers.py --system "$system" --threads "$threads" --texts "$OUT/texts.json" \
            --model-dir "$MODEL_DIR" --onnx "$ONNX" --queries "$QUERIES" "${compare[@]}" 2> "$OUT/$system-$threads.log" \
            | tee -a "$RESULTS"
    done
done

# 5. Throughput ratios, ours / theirs; threads=1 last.
for threads in all 1; do
    awk -v threads="$threads" '
        $1 == "RESULT" {
            name = ""; mode = ""; rate = ""
            for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "system") name = kv[2]
                if (kv[1] == "threads") mode = kv[2]
                if (kv[1] == "chunks_per_s") rate = kv[2]
            }
            if (mode == threads) r[name] = rate
        }
        END {
            printf "RATIO bench=embed threads=%s", threads
            n = split("pytorch onnxruntime", peers, " ")
            for (i = 1; i <= n; i++) {
                p = peers[i]
                printf " %s=%s", p, (r[p] > 0 && r["context0"] > 0) ? sprintf("%.2f", r["context0"] / r[p]) : "nan"
            }
            printf "\n"
        }' "$RESULTS"
done | tee -a "$RESULTS"
