#!/usr/bin/env bash
# `make test`: the same set-up as `make run` (packages, wheels, embedded PostgreSQL unless
# DATABASE_URL is set, migrations), one debug build, then the whole test suite against that
# PostgreSQL. Each test works in a database of its own, copied from a migrated template
# (`c0test_template_<hash of the migrations>`, kept for the next run) and dropped after it.
#
# One debug build serves the tests and the executables they start (.build/debug): from a
# fresh clone it takes about two thirds of a release build's time, and the suite runs as
# fast (the embedding model's modules are optimised in debug builds too; see Package.swift).
# The test that restarts PostgreSQL runs last, alone, and only against the embedded server.
# Then the tests of the scripts (Tests/Scripts), the SDK tests and the short form of
# `make fuzz` (scripts/fuzz.sh) against the same executables. It ends with how long each phase took (also when a phase fails).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

source scripts/lib.sh

# --- phase timing ------------------------------------------------------------------------
PHASES=()
phase_started=$SECONDS
phase_name=""
start_phase() {
    end_phase
    phase_name="$1"
    phase_started=$SECONDS
    echo "test.sh: == $phase_name" >&2
}
end_phase() {
    if [[ -n "$phase_name" ]]; then
        PHASES+=("$(printf '%-12s %4d s' "$phase_name" $((SECONDS - phase_started)))")
    fi
    phase_name=""
}
finish() {
    local status=$?
    end_phase
    release_database
    echo "test.sh: timing (wall clock, $(nproc) cores)" >&2
    for line in "${PHASES[@]}"; do echo "test.sh:   $line" >&2; done
    echo "test.sh:   $(printf '%-12s %4d s' total "$SECONDS")" >&2
    exit "$status"
}
trap finish EXIT

# --- set-up: packages, wheels, PostgreSQL, secrets -------------------------------------------
start_phase set-up
scripts/setup.sh
embedded=1
[[ -n "${DATABASE_URL:-}" ]] && embedded=0
ensure_database
ensure_jwt_secret

# --- build ---------------------------------------------------------------------------------
start_phase build
swift build --build-tests
CONTEXT0_BIN_DIR="$(swift build --show-bin-path)"
export CONTEXT0_BIN_DIR
"$CONTEXT0_BIN_DIR/context0-admin" migrate

# --- Swift tests ---------------------------------------------------------------------------
start_phase swift-tests
swift test --skip-build --skip ServerRestartTests
if ((embedded)); then
    CONTEXT0_POSTGRES_SCRIPT="$ROOT/scripts/postgres.sh" swift test --skip-build --filter ServerRestartTests
else
    echo "test.sh: DATABASE_URL points at an external server: skipping ServerRestartTests (they restart PostgreSQL)" >&2
fi

# --- the scripts' own tests: make run's supervisor (Tests/Scripts) -------------------------
start_phase scripts
python3 Tests/Scripts/test_supervise.py
python3 scripts/api-reference.py --check

# --- SDK tests: the Python and JavaScript SDKs over HTTP against the executables just built
start_phase sdk-tests
scripts/test-sdks.sh

# --- fuzzing: the short, fixed-seed form of `make fuzz` against the same executables --------
start_phase fuzz
scripts/fuzz.sh short
