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
