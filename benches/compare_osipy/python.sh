#!/usr/bin/env bash
# Side by side from Python: the Python osipy (PyPI 0.1.4) and this project's Python package
# osipy_rs, on identical NumPy arrays, for each modality's main fit, with the overhead of a call.
#
# Usage: benches/compare_osipy.sh python [--voxels 100000] [--reps 5] [--small-reps 200]
#                                        [--modalities dce,dsc,ivim,asl] [--seed 1234] [--work DIR]
#
#   --voxels      voxels of each fit (default 100000)
#   --reps        timed calls of osipy_rs per fit, median reported (default 5); the peer once
#   --small-reps  timed 1-voxel calls of osipy_rs (default 200; the peer 20)
#   --work        folder for the venv (default ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy);
#                 the venv holding osipy 0.1.4 is reused; osipy_rs is built (release) and
#                 installed into it on every run
#
# Environment: as for the other modalities (PYTHON312, OSIPY_PEER_VENV).
#
# Steps: (1) the venv (Python >= 3.12, pip install osipy==0.1.4); (2) `pip install ./osipy-py`
# into it (maturin, release); (3) compare_osipy/python_bench.py prints the table and, last,
# `min_ratio <X>`.
set -euo pipefail

# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

work=$(default_work)
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
    --voxels|--reps|--small-reps|--modalities|--seed)
      [ $# -ge 2 ] || die "$1 needs a value"; pass+=("$1" "$2"); shift 2 ;;
    -h|--help) header_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

venv=${OSIPY_PEER_VENV:-$work/venv}
mkdir -p "$work"
peer_venv "$venv"
echo "# building osipy_rs (release) into $venv"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}" "$venv/bin/python" -m pip install -q \
  --disable-pip-version-check --force-reinstall --no-deps "$repo/osipy-py"
"$venv/bin/python" "$cmp_dir/python_bench.py" "${pass[@]}"
