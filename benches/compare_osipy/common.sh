# Shared helpers of benches/compare_osipy.sh and its modality scripts (benches/compare_osipy/*.sh);
# sourced, never run, and not a modality (the dispatcher skips common.sh and _*.sh).
#
# Defines:
#   cmp_dir, repo          this folder and the repository root
#   OSIPY_PEER_VERSION     the peer's version on PyPI (0.1.4)
#   die MSG                "compare_osipy.sh: MSG" on stderr, exit 2
#   header_usage FILE      FILE's leading comment block (after the shebang), without the "# "
#   default_work           ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy
#   find_python            the path of a Python >= 3.12 (PYTHON312; python3.13 / python3.12 /
#                          python3 on PATH; pyenv's), or die
#   peer_venv VENV         makes VENV a venv holding osipy $OSIPY_PEER_VERSION, or reuses it when
#                          it already holds it; prints "# peer venv: ..." on stdout
#   build_release PKG BIN  cargo build --release -q -p PKG --bin BIN in the repository root

cmp_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$cmp_dir/../.." && pwd)
OSIPY_PEER_VERSION=0.1.4

die() { echo "compare_osipy.sh: $*" >&2; exit 2; }

header_usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

default_work() { echo "${CARGO_TARGET_DIR:-$repo/target}/compare-osipy"; }

is_py312() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  if [ -n "${PYTHON312:-}" ]; then
    is_py312 "$PYTHON312" || die "PYTHON312=$PYTHON312 is not a working Python >= 3.12"
    echo "$PYTHON312"; return
  fi
  local c v
  for c in python3.13 python3.12 python3; do
    # A pyenv shim exists for every version pyenv has, but runs only where that version is active.
    if command -v "$c" >/dev/null 2>&1 && is_py312 "$c"; then command -v "$c"; return; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -rV); do
      c=$(PYENV_VERSION=$v pyenv which python3 2>/dev/null) || continue
      if is_py312 "$c"; then echo "$c"; return; fi
    done
    for c in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do
      if [ -x "$c" ] && is_py312 "$c"; then echo "$c"; return; fi
    done
  fi
  die "no Python >= 3.12 found (osipy $OSIPY_PEER_VERSION needs it): set PYTHON312 to one"
}

peer_ok() { [ -x "$1/bin/python" ] &&
  "$1/bin/python" -c "import osipy, sys; sys.exit(0 if osipy.__version__ == '$OSIPY_PEER_VERSION' else 1)" >/dev/null 2>&1; }

peer_venv() {
  local venv=$1 py
  if peer_ok "$venv"; then
    echo "# peer venv: $venv (reused)"
  else
    py=$(find_python)
    echo "# peer venv: creating $venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))"
    "$py" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "osipy==$OSIPY_PEER_VERSION"
    peer_ok "$venv" || die "osipy $OSIPY_PEER_VERSION is not importable from $venv after pip install"
  fi
}

build_release() { (cd "$repo" && cargo build --release -q -p "$1" --bin "$2"); }
