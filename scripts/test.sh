#!/usr/bin/env bash
# `make test`: the same set-up as `make run` (packages, wheels, embedded PostgreSQL unless
# DATABASE_URL is set, migrations, a release build), then the whole test suite against
# that PostgreSQL. Each test creates its own database, so nothing is left behind.
#
# The suite is built and run in release mode: one build serves both the tests and the
# executables (`.build/release/context0-admin` works afterwards, as the README promises).
# The test that restarts PostgreSQL runs last, alone, and only against the embedded server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

source scripts/lib.sh
scripts/setup.sh
embedded=1
[[ -n "${DATABASE_URL:-}" ]] && embedded=0
trap release_database EXIT
ensure_database
ensure_jwt_secret

swift build -c release --build-tests
CONTEXT0_BIN_DIR="$(swift build -c release --show-bin-path)"
export CONTEXT0_BIN_DIR
"$CONTEXT0_BIN_DIR/context0-admin" migrate

swift test -c release --skip-build --skip ServerRestartTests
if ((embedded)); then
    CONTEXT0_POSTGRES_SCRIPT="$ROOT/scripts/postgres.sh" swift test -c release --skip-build --filter ServerRestartTests
else
    echo "test.sh: DATABASE_URL points at an external server: skipping ServerRestartTests (they restart PostgreSQL)" >&2
fi

# The Python and JavaScript SDKs, over HTTP against the release executables just built.
scripts/test-sdks.sh
