#!/usr/bin/env bash
# Every test of the project: the Rust workspace (`cargo test --workspace`), then the Python
# package `osipy_rs` built from `osipy-py` into a throwaway virtual environment (maturin,
# NumPy, Dask, distributed and pytest from PyPI) and its pytest suite, which checks each call
# against the Rust library's own results (the `py-reference` binary built here).
#
# Environment: PYTHON (default python3, >= 3.9); OSIPY_TEST_VENV (a venv folder to reuse;
# default: a new one under target/, removed afterwards); OSIPY_SKIP_CARGO_TESTS=1 runs only the
# Python part. Arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

if [ "${OSIPY_SKIP_CARGO_TESTS:-0}" != 1 ]; then
  echo "== cargo test --workspace"
  cargo test --workspace
fi

echo "== Python package osipy_rs"
cargo build --quiet -p osipy-tests --bin py-reference
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export OSIPY_PY_REFERENCE="$target/debug/py-reference"

python="${PYTHON:-python3}"
venv="${OSIPY_TEST_VENV:-}"
cleanup=""
if [ -z "$venv" ]; then
  venv="$(mktemp -d "$target/py-test-venv.XXXXXX")"
  cleanup="$venv"
fi
trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install --upgrade pip
# The package (maturin, its PEP 517 backend, comes from PyPI) with its test extras, built in
# the dev profile like the reference binary: the library's crates are those `cargo test` just
# built, so only PyO3 and the module itself compile here (OSIPY_TEST_PROFILE=release for an
# optimised wheel; results are the same, Rust does not change floating point with the
# optimisation level).
# The test extras of osipy-py/pyproject.toml, then the package itself (rebuilt every run).
"${pip[@]}" install numpy "pytest>=7" pytest-timeout "dask[array]>=2023.1" "distributed>=2023.1"
MATURIN_PEP517_ARGS="--profile ${OSIPY_TEST_PROFILE:-dev}" CARGO_TARGET_DIR="$target" \
  "${pip[@]}" install --force-reinstall --no-deps "$root/osipy-py"
cd "$root/osipy-py/tests"
# A test that hangs (a Dask cluster that never answers) fails after 300 s instead of stalling.
"$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 300 "$@"
