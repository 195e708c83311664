# Shared by run.sh, test.sh and the benchmark scripts: source it, don't run it.

# Starts the embedded PostgreSQL unless DATABASE_URL is set, exports DATABASE_URL, and sets
# STARTED_POSTGRES=1 only if this call started the server (so only then stop it again).
ensure_database() {
    STARTED_POSTGRES=0
    if [[ -n "${DATABASE_URL:-}" ]]; then
        export DATABASE_URL
        return
    fi
    local out
    out="$("$ROOT/scripts/postgres.sh" start 2>&1)" || { echo "$out" >&2; return 1; }
    echo "$out" >&2
    [[ "$out" == *"started PostgreSQL"* ]] && STARTED_POSTGRES=1
    DATABASE_URL="$("$ROOT/scripts/postgres.sh" url)"
    export DATABASE_URL
}

# Stops the embedded PostgreSQL if ensure_database started it.
release_database() {
    if [[ "${STARTED_POSTGRES:-0}" == 1 ]]; then
        # DATABASE_URL now names the embedded server; the script must not take it for an external one.
        env -u DATABASE_URL "$ROOT/scripts/postgres.sh" stop || true
        STARTED_POSTGRES=0
    fi
}

# JWT_SECRET for development: generated once per data folder into .data/jwt-secret, which
# the API and `context0-admin token` read when JWT_SECRET is unset.
ensure_jwt_secret() {
    [[ -n "${JWT_SECRET:-}" ]] && return
    local file="$ROOT/.data/jwt-secret"
    if [[ ! -s "$file" ]]; then
        mkdir -p "$ROOT/.data"
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file")
    fi
}

# For the benchmarks of the HTTP server: set-up, the database (released on exit), and the
# JWT secret that the API and the benchmark's tokens share, exported. Sets URL.
prepare_benchmark() {
    scripts/setup.sh "$@"
    trap release_database EXIT
    ensure_database
    ensure_jwt_secret
    JWT_SECRET="${JWT_SECRET:-$(<"$ROOT/.data/jwt-secret")}"
    export JWT_SECRET
    URL="$DATABASE_URL"
}

# run_sql_at URL STATEMENT: one statement against URL, with the wheel's psql, else Debian's,
# else the psycopg of $PYTHON (the scripts' virtualenv).
run_sql_at() {
    local psql="$ROOT/.deps/pginstall/bin/psql"
    [[ -x "$psql" ]] || psql="$(command -v psql || true)"
    if [[ -n "$psql" ]]; then
        "$psql" -X -q -v ON_ERROR_STOP=1 "$1" -c "$2" >/dev/null
    else
        "$PYTHON" -c 'import psycopg, sys
with psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(sys.argv[2])' "$1" "$2"
    fi
}

# --- scratch databases and processes of scripts that start their own (fuzz.sh, test-sdks.sh,
# faults.sh); they need $PYTHON (the scripts' virtualenv) and $BIN (the executables).

# scratch_database_name PREFIX: a fresh name, PREFIX_<12 hex digits>.
scratch_database_name() { echo "${1}_$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"; }

# database_url_for URL NAME: URL with its database replaced by NAME.
database_url_for() {
    "$PYTHON" -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$1" "$2"
}

# migrate_at URL LOG: applies the migrations to URL with $BIN/context0-admin, its output in
# LOG (shown when it fails).
migrate_at() {
    DATABASE_URL="$1" "$BIN/context0-admin" migrate >"$2" 2>&1 || { cat "$2" >&2; return 1; }
}

# create_scratch_database NAME_VAR URL_VAR PREFIX LOG: a database of its own on the server
# DATABASE_URL names, migrated (output in LOG). Its name goes into NAME_VAR before it is
# created, so a cleanup trap can drop it whatever fails next; its URL into URL_VAR.
create_scratch_database() {
    printf -v "$1" '%s' "$(scratch_database_name "$3")"
    run_sql_at "$DATABASE_URL" "CREATE DATABASE ${!1}" || return 1
    printf -v "$2" '%s' "$(database_url_for "$DATABASE_URL" "${!1}")"
    migrate_at "${!2}" "$4"
}

# require_executables: dies unless $BIN holds the API, the worker and the admin CLI (the
# scripts that start their own build nothing).
require_executables() {
    local exe
    for exe in context0-api context0-worker context0-admin; do
        [[ -x "$BIN/$exe" ]] || { echo "$BIN/$exe is missing: build first (swift build -c release)" >&2; exit 1; }
    done
}

# random_secret: 32 random bytes as hex, e.g. a JWT_SECRET of a run's own.
random_secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# free_port: a loopback TCP port nobody listens on right now.
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for_ping URL PID [SECONDS]: waits until the API at URL answers /ping with its database
# ok (default 60 s); fails with a message if process PID exits (or is a zombie) first.
wait_for_ping() {
    local i stat limit=$((${3:-60} * 5))
    for ((i = 0; i < limit; i++)); do
        "$PYTHON" -c 'import json, sys, urllib.request
sys.exit(json.load(urllib.request.urlopen(sys.argv[1] + "/ping", timeout=2))["data"]["database"] != "ok")' "$1" 2>/dev/null && return 0
        if ! { read -r stat <"/proc/$2/stat"; } 2>/dev/null || [[ "${stat##*) }" == Z* ]]; then
            echo "the API process for $1 exited" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "no answer from $1/ping within ${3:-60} s" >&2
    return 1
}

# stop_processes PID...: SIGTERM to each of this shell's background processes, then waits.
stop_processes() {
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    wait "$@" 2>/dev/null || true
}

# show_log_tails FILE...: the last 25 lines of each non-empty file, on stderr.
show_log_tails() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        echo "---- last lines of $(basename "$f")" >&2
        tail -n 25 "$f" >&2
    done
}
