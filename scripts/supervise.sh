#!/usr/bin/env bash
# scripts/supervise.sh NAME COMMAND [ARG...] [:: NAME COMMAND [ARG...]]...
#
# Keeps a set of processes running: `make run` (scripts/run.sh) starts the API and the
# workers with it, so that one process that dies (a worker taken by the OOM killer, a crash)
# is started again instead of taking the others down. For example:
#
#   scripts/supervise.sh api .build/release/context0-api :: worker-1 .build/release/context0-worker
#
# Each process is a NAME (letters, digits, `.`, `_`, `-`; used in the log lines only) and a
# COMMAND with its arguments, run as given (an executable on PATH or a path, no shell, so
# arguments need no extra quoting); `::` separates the processes, so no argument can be a
# lone `::`. Every process gets stdin from /dev/null and this script's stdout and stderr, and
# starts with SIGINT and SIGQUIT ignored, as bash starts every background command: Ctrl-C
# in a terminal reaches only this script, and each process learns of the stop once, from
# the SIGTERM sent here. (Started in the background by a script, as run.sh does, this script
# ignores SIGINT itself, by the same rule: the script stops it with SIGTERM.) Its log lines
# go to stderr and start with `supervise.sh:`.
#
# When a process exits, whatever the status or signal, it alone is started again after a
# back-off: 1 s, then 2, 4, 8 ... up to SUPERVISE_MAX_BACKOFF; a process that stayed up
# SUPERVISE_STABLE_SECONDS before it exited starts again at 1 s. The others run on untouched.
# bash reports a process killed by signal N as status 128+N, so `status 137 / signal KILL`
# may also be a process that called exit(137).
#
# On SIGINT, SIGTERM or SIGHUP: no more restarts; SIGTERM to every process, then at most
# SHUTDOWN_TIMEOUT seconds for all of them to exit, then SIGKILL for those still running (and
# up to 5 s for the kernel to remove them). A second signal during the stop skips the rest of
# the wait and kills at once. Signals go to each process's pid only, not to processes it
# started itself: a COMMAND that is a wrapper script should `exec` the real program.
# Nothing can be done when this script itself is killed with SIGKILL: its processes keep
# running (kill them by pid, from the `started` lines).
#
# Exit status: 0 when every process exited within SHUTDOWN_TIMEOUT after the stop signal;
# 1 when one had to be killed; 2 for a usage error (nothing started then). It never exits
# by itself otherwise: processes are restarted for as long as it runs.
#
# Environment (whole seconds):
#   SUPERVISE_MAX_BACKOFF     longest wait before a restart (default 30)
#   SUPERVISE_STABLE_SECONDS  uptime after which an exit counts as a first one again (default 60)
#   SHUTDOWN_TIMEOUT          how long the processes may take to stop (default 30; the
#                             workers' own WORKER_SHUTDOWN_TIMEOUT_MS is 10 s by default)
#
# No `set -e`: the statuses of `wait` and `kill` are data here, not failures.
set -uo pipefail

log() { printf 'supervise.sh: %s\n' "$*" >&2; }
usage() {
    log "$*"
    log "usage: scripts/supervise.sh NAME COMMAND [ARG...] [:: NAME COMMAND [ARG...]]..."
    exit 2
}
seconds() { # seconds VARIABLE DEFAULT MINIMUM: the variable's value, checked
    local value="${!1:-$2}"
    [[ "$value" =~ ^[0-9]+$ ]] && ((10#$value >= $3)) || usage "$1 must be a whole number of seconds >= $3 (is '$value')"
    echo $((10#$value))
}
MAX_BACKOFF="$(seconds SUPERVISE_MAX_BACKOFF 30 1)" || exit 2
STABLE_SECONDS="$(seconds SUPERVISE_STABLE_SECONDS 60 1)" || exit 2
SHUTDOWN_TIMEOUT="$(seconds SHUTDOWN_TIMEOUT 30 0)" || exit 2

# --- the processes: parallel arrays, one index per process ------------------------------
names=()     # NAME
argv=()      # every COMMAND and its arguments, one after another
argv_at=()   # where the process's COMMAND starts in argv
argv_len=()  # how many words it has there
pid=()       # pid while it runs, "" while it waits for a restart (or after it stopped)
timer=()     # pid of the `sleep` that ends its back-off, "" while it runs
started=()   # EPOCHSECONDS of its last start
backoff=()   # seconds to wait before its next restart

(($#)) || usage "nothing to supervise"
while (($#)); do
    name="$1"
    shift
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || usage "'$name' is not a NAME (letters, digits, '.', '_', '-')"
    for other in "${names[@]}"; do [[ "$other" != "$name" ]] || usage "$name is named twice"; done
    at=${#argv[@]}
    while (($#)) && [[ "$1" != "::" ]]; do
        argv+=("$1")
        shift
    done
    ((${#argv[@]} > at)) || usage "$name has no COMMAND"
    # A typo fails here, once, rather than as a process restarted for ever.
    type -P -- "${argv[at]}" >/dev/null || usage "$name: '${argv[at]}' is not an executable (nor on PATH)"
    (($#)) && shift # the `::`
    names+=("$name") argv_at+=("$at") argv_len+=($((${#argv[@]} - at)))
    pid+=("") timer+=("") started+=(0) backoff+=(1)
done

# Signal names for the log, read now: `kill -l` in a command substitution later would fork.
signal_names=()
words=($(kill -l))
for ((w = 0; w + 1 < ${#words[@]}; w += 2)); do signal_names[${words[w]%)}]="${words[w + 1]#SIG}"; done
unset words w name other at

# --- starting processes -----------------------------------------------------------------
# bash prints its own line (`... Killed  COMMAND`) when it notices that a background process
# died of a signal, at a fork or in `wait`: those run with stderr on /dev/null, and the
# processes get the real stderr back through the copy in STDERR_FD.
exec {STDERR_FD}>&2
# spawn COMMAND [ARG...]: COMMAND in the background, its pid in $! (`exec`: a program, never
# a function of this script that happens to have its name).
spawn() {
    { exec "$@" </dev/null 2>&"$STDERR_FD" {STDERR_FD}>&- & } 2>/dev/null
}

start() { # start INDEX (unless stopping)
    local i="$1"
    timer[i]=""
    [[ -z "$stop_signal" ]] || return
    spawn "${argv[@]:${argv_at[i]}:${argv_len[i]}}"
    pid[i]=$! started[i]=$EPOCHSECONDS
    log "started ${names[i]} (pid ${pid[i]})"
}

exited() { # exited INDEX STATUS: the process has exited; schedule its restart, unless stopping
    local i="$1" status="$2" delay how="status $2"
    ((status <= 128)) || [[ -z "${signal_names[status - 128]:-}" ]] || how+=" / signal ${signal_names[status - 128]}"
    pid[i]=""
    if [[ -n "$stop_signal" ]]; then
        log "${names[i]} exited ($how)"
        return
    fi
    ((EPOCHSECONDS - started[i] >= STABLE_SECONDS)) && backoff[i]=1
    delay=$((backoff[i] < MAX_BACKOFF ? backoff[i] : MAX_BACKOFF))
    backoff[i]=$((delay * 2))
    log "${names[i]} exited ($how); restarting in $delay s"
    spawn sleep "$delay"
    timer[i]=$!
}

# bash forgets a background process that a signal killed once it has noticed the death (in
# `wait`, at a fork), and `wait -n` then never returns it. So before each `wait -n`, passes
# over the processes collect the ones already gone (`kill -0` fails once bash has reaped
# them, and `wait PID` still knows their status) until a pass finds none (next(), below):
# that pass neither forks nor waits, and whatever exits after it, `wait -n` returns.
collect() { # collect: handles the processes and timers that have ended; fails if none had
    local i status found=1
    for i in "${!names[@]}"; do
        if [[ -n "${pid[i]}" ]] && ! kill -0 "${pid[i]}" 2>/dev/null; then
            wait "${pid[i]}" 2>/dev/null
            status=$?
            exited "$i" "$status"
            found=0
        elif [[ -n "${timer[i]}" ]] && ! kill -0 "${timer[i]}" 2>/dev/null; then
            wait "${timer[i]}" 2>/dev/null
            start "$i"
            found=0
        fi
    done
    return $found
}

# next: handles what has ended, else waits for the next process or timer to end, or a
# signal; sets $ended to the pid `wait -n` returned (else empty) and $status to its status.
next() {
    local i
    ended=""
    collect && return                        # the caller looks at the news first
    ((signals == handled_signals)) || return # a signal came during the pass: no waiting
    unset p
    wait -n -p p 2>/dev/null
    status=$?
    ended="${p:-}"
    for i in "${!names[@]}"; do
        if [[ -n "$ended" && "${pid[i]}" == "$ended" ]]; then
            exited "$i" "$status"
        elif [[ -n "$ended" && "${timer[i]}" == "$ended" ]]; then
            start "$i"
        fi
    done
    # No child at all (each process runs or has a timer, so it cannot happen): no busy loop.
    [[ -n "$ended" ]] || ((status != 127)) || sleep 0.2
}

# --- stopping ---------------------------------------------------------------------------
# The traps only take note: `wait` returns at once when a trapped signal arrives, and the
# loops look at the note.
signals=0         # how many have arrived
handled_signals=0 # how many the current wait has taken into account
stop_signal=""
on_signal() { stop_signal="$1" signals=$((signals + 1)); }
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

running() { # running: fails when no process runs; else lists them in $listed ("NAME (pid N), ...")
    local i
    listed=""
    for i in "${!names[@]}"; do [[ -z "${pid[i]}" ]] || listed+="${listed:+, }${names[i]} (pid ${pid[i]})"; done
    [[ -n "$listed" ]]
}

# await SECONDS [hurry]: waits until every process has exited (status 0) or SECONDS have
# passed (1); with `hurry`, also until a further signal arrives (2).
await() {
    local deadline result=1
    spawn sleep "$1"
    deadline=$!
    handled_signals=$signals
    while :; do
        next
        running || { result=0; break; }
        [[ "$ended" != "$deadline" ]] || { deadline=""; break; }
        [[ "${2:-}" != hurry ]] || ((signals == handled_signals)) || { result=2; break; }
        handled_signals=$signals
    done
    [[ -z "$deadline" ]] || kill "$deadline" 2>/dev/null
    return $result
}

kill_all() { # kill_all SIGNAL: to every running process
    local i pids=()
    for i in "${!names[@]}"; do [[ -z "${pid[i]}" ]] || pids+=("${pid[i]}"); done
    ((${#pids[@]} == 0)) || kill "-$1" "${pids[@]}" 2>/dev/null
}

stop() {
    local i result=0
    for i in "${!names[@]}"; do # no restarts any more
        [[ -z "${timer[i]}" ]] || kill "${timer[i]}" 2>/dev/null
        timer[i]=""
    done
    if running; then
        log "SIG$stop_signal: stopping $listed (SIGTERM, at most $SHUTDOWN_TIMEOUT s)"
        kill_all TERM
        await "$SHUTDOWN_TIMEOUT" hurry
        result=$?
    fi
    if ((result != 0)) && running; then
        if ((result == 2)); then
            log "second signal: killing $listed"
        else
            log "still running after $SHUTDOWN_TIMEOUT s, killing $listed"
        fi
        kill_all KILL
        await 5 || { running && log "still there 5 s after SIGKILL: $listed"; }
        log "stopped (killed some)"
        exit 1
    fi
    log "stopped"
    exit 0
}

# --- main loop --------------------------------------------------------------------------
for i in "${!names[@]}"; do start "$i"; done
while [[ -z "$stop_signal" ]]; do next; done
stop
