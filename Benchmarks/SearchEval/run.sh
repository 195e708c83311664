#!/usr/bin/env bash
# `make eval-search`: search quality of POST /api/v1/context/search — nDCG@10 and recall@10
# over a labelled set (Benchmarks/SearchEval/queries.jsonl, 229 queries) on the King James
# Bible, one document per chapter (1,189), for each ranking mode of the API
# (SEARCH_RANKING=hybrid, text, vector). See Benchmarks/SearchEval/README.md.
#
# Prints one line per mode on stdout, details on stderr:
#   RESULT bench=eval-search mode=<mode> queries=N ndcg_at_10=… recall_at_10=… corpus_documents=D
#          corpus_chunks=C search_p50_ms=…
# and writes Benchmarks/SearchEval/results/per-query-<mode>.tsv (one row per query; diff them
# between runs), the corpus (results/corpus.jsonl, made once) and the processes' logs
# (results/logs/).
#
# In a database of its own (context0_searcheval_<random>, dropped at the end unless
# EVAL_KEEP_DATABASE=1) it starts one context0-worker (native MiniLM embeddings) and, per mode,
# one context0-api with SEARCH_RANKING=<mode>, a JWT secret made for this run and rate limits
# high enough for the run. The corpus is ingested once, through the first mode's API, for one
# user; each further mode only restarts the API against the same database.
#
#   EVAL_MODES ("hybrid text vector"; `hybrid@0.3` is hybrid with SEARCH_VECTOR_WEIGHT=0.3), EVAL_BOOKS (comma-separated book names to ingest, e.g.
#   "Genesis,Daniel,Mark,John": a quick partial run over the queries those books answer;
#   default all), EVAL_SEARCH_LIMIT (chunks per search, 50), EVAL_INDEX_TIMEOUT (seconds
#   without indexing progress before giving up, 600), EVAL_KEEP_DATABASE=1,
#   CONTEXT0_BIN_DIR (the context0-api, -worker and -admin to use; when unset, a release
#   build is made as the other benchmarks make theirs), MINILM_MODEL_DIR (.deps/minilm)
#
# Uses DATABASE_URL if set (a server whose user may create databases), else the embedded
# PostgreSQL (started if needed, stopped after). The corpus comes from the Debian packages
# bible-kjv and bible-kjv-text (installed as root when missing; otherwise the apt-get
# command is printed); nothing is downloaded at run time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
started_at=$SECONDS
HERE="$ROOT/Benchmarks/SearchEval"
OUT="$HERE/results"
LOGS="$OUT/logs"

source scripts/lib.sh

log() { echo "eval-search: $*" >&2; }
die() { log "$*"; exit 1; }

# 1. The corpus's Debian packages: `bible` (bible-kjv) and its text (bible-kjv-text).
deb_missing=()
for p in bible-kjv bible-kjv-text; do
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" == ii* ]] || deb_missing+=("$p")
done
if ((${#deb_missing[@]})); then
    if [[ "$(id -u)" == 0 ]]; then
        log "installing ${deb_missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${deb_missing[@]}" >&2 || {
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${deb_missing[@]}" >&2
        }
    else
        log "missing Debian packages: ${deb_missing[*]}; install them with:"
        echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${deb_missing[*]}" >&2
        exit 1
    fi
fi

# 2. The venv and the model (scripts/setup.sh); the executables.
scripts/setup.sh
PYTHON="$ROOT/.deps/venv/bin/python"
MODEL_DIR="${MINILM_MODEL_DIR:-$ROOT/.deps/minilm}"
[[ -f "$MODEL_DIR/model.safetensors" ]] || die "no MiniLM model at $MODEL_DIR (run scripts/setup.sh, or set MINILM_MODEL_DIR)"
if [[ -n "${CONTEXT0_BIN_DIR:-}" ]]; then
    BIN="$CONTEXT0_BIN_DIR"
else
    CONTEXT0_BENCHMARKS=1 swift build -c release >&2
    BIN="$(CONTEXT0_BENCHMARKS=1 swift build -c release --show-bin-path)"
fi
require_executables

# 3. The corpus (made once; delete results/corpus.jsonl to make it again) and the labels.
mkdir -p "$OUT" "$LOGS"
if [[ ! -s "$OUT/corpus.jsonl" ]]; then
    "$PYTHON" "$HERE/make_corpus.py" "$OUT/corpus.jsonl"
fi
"$PYTHON" "$HERE/check_queries.py" "$OUT/corpus.jsonl" "$HERE/queries.jsonl" >/dev/null \
    || die "queries.jsonl does not match the corpus (see above)"

read -r -a modes <<<"${EVAL_MODES:-hybrid text vector}"
((${#modes[@]})) || die "EVAL_MODES is empty"
for mode in "${modes[@]}"; do
    case "$mode" in hybrid | hybrid@* | text | vector) ;; *) die "unknown mode $mode in EVAL_MODES (hybrid, hybrid@WEIGHT, text, vector)" ;; esac
done

# 4. A database of the run's own, the worker, and the API per mode.
pids=()
eval_db=""
admin_url=""
api_pid=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_processes "${pids[@]}"
    if ((status != 0)); then
        show_log_tails "$LOGS"/*.log
    fi
    if [[ -n "$eval_db" ]]; then
        if [[ "${EVAL_KEEP_DATABASE:-0}" == 1 ]]; then
            log "kept the database $eval_db on the server DATABASE_URL names (EVAL_KEEP_DATABASE=1); drop it when done"
        else
            run_sql_at "$admin_url" "DROP DATABASE IF EXISTS $eval_db WITH (FORCE)" || log "could not drop $eval_db"
        fi
    fi
    release_database
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_database
admin_url="$DATABASE_URL"
rm -f "$LOGS"/*.log
create_scratch_database eval_db EVAL_DATABASE_URL context0_searcheval "$LOGS/migrate.log" \
    || die "could not create and migrate a database"
log "database $eval_db, executables in $BIN"

JWT_SECRET="$(random_secret)"
export JWT_SECRET # for eval.py's tokens

start() { # start NAME COMMAND [ENV=VALUE...]: in the background, its pid last in pids
    local name="$1" command="$2"
    shift 2
    env -u LLM_BASE_URL -u LLM_MODEL -u LLM_API_KEY -u RATE_LIMITS -u WORKER_QUEUES -u SEARCH_RANKING -u SEARCH_VECTOR_WEIGHT \
        -u EMBEDDER -u EMBEDDINGS_BASE_URL -u EMBEDDINGS_MODEL -u EMBEDDINGS_API_KEY -u EMBEDDINGS_DIMENSIONS \
        DATABASE_URL="$EVAL_DATABASE_URL" JWT_SECRET="$JWT_SECRET" MINILM_MODEL_DIR="$MODEL_DIR" HOST=127.0.0.1 "$@" \
        "$BIN/$command" >>"$LOGS/$name.log" 2>&1 &
    pids+=($!)
}


forget() { # forget PID: drops PID from pids (it has exited)
    local kept=() pid
    for pid in "${pids[@]}"; do [[ "$pid" == "$1" ]] || kept+=("$pid"); done
    pids=("${kept[@]}")
}

stop_api() {
    [[ -n "$api_pid" ]] || return 0
    kill -TERM "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
    forget "$api_pid"
    api_pid=""
}

start_api() { # start_api MODE: sets BASE_URL
    local port
    port="$(free_port)"
    local weight=()
    [[ "$1" == *@* ]] && weight=(SEARCH_VECTOR_WEIGHT="${1#*@}")
    start "api-$1" context0-api PORT="$port" SEARCH_RANKING="${1%%@*}" "${weight[@]}" \
        RATE_LIMITS=standard=1000000,search=1000000,batch=1000000,ai=1000000
    api_pid="${pids[-1]}"
    BASE_URL="http://127.0.0.1:$port/api/v1"
    wait_for_ping "$BASE_URL" "$api_pid" 120
}

# eval.py runs in the background and is waited for, so that a stop signal ends the run at
# once (bash runs its traps only between commands, and `wait` is one).
client() { # client ARGS...: eval.py ARGS, in pids while it runs
    "$PYTHON" "$HERE/eval.py" "$@" &
    pids+=($!)
    local pid=$! status=0
    wait "$pid" || status=$?
    forget "$pid"
    return "$status"
}

start worker context0-worker
state="$OUT/state.json"
first=1
for mode in "${modes[@]}"; do
    stop_api
    start_api "$mode"
    if ((first)); then
        log "ingesting through the $mode API at $BASE_URL${EVAL_BOOKS:+ (books: $EVAL_BOOKS)}"
        ingest_started=$SECONDS
        client ingest --base-url "$BASE_URL" --corpus "$OUT/corpus.jsonl" --state "$state" \
            --books "${EVAL_BOOKS:-}" --timeout "${EVAL_INDEX_TIMEOUT:-600}"
        log "ingestion took $((SECONDS - ingest_started)) s"
        first=0
    fi
    mode_started=$SECONDS
    client query --base-url "$BASE_URL" --queries "$HERE/queries.jsonl" --state "$state" \
        --mode "$mode" --tsv "$OUT/per-query-$mode.tsv" --limit "${EVAL_SEARCH_LIMIT:-50}"
    log "mode $mode took $((SECONDS - mode_started)) s"
done
stop_api
log "done in $((SECONDS - started_at)) s (logs: $LOGS)"
