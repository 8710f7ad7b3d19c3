#!/usr/bin/env bash
# Side by side with the Python osipy (PyPI 0.1.4) and DIPY: the same synthetic IVIM data fitted
# by the peers and by this crate's segmented, full and Bayesian fits, in one run.
#
# Usage: benches/compare_osipy.sh ivim [--voxels 100000] [--dipy-voxels 2000] [--snr 50]
#                                      [--threads N] [--reps N] [--seed 1234] [--work DIR]
#                                      [--no-dipy]
#
#   --voxels       voxels of the data set (default 100000); the 18 b-values of the OSIPI IVIM
#                  collection's generic.json
#   --dipy-voxels  the first voxels fitted by DIPY's IvimModel (trr and varpro; default 2000)
#   --snr          S0 over the Rician noise SD (default 50)
#   --threads      rayon threads of ours (default: all cores); the peers run as they do
#   --reps         timed fits of ours, median reported (default 3)
#   --seed         seed of the synthetic data (default 1234)
#   --work         folder for the venvs and the data (default
#                  ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy); a venv is reused when it
#                  holds what it needs, the data are made afresh on every run
#   --no-dipy      skip DIPY (its venv needs dipy and cvxpy from PyPI)
#
# Environment: PYTHON312 picks the interpreter for the venvs (any Python >= 3.12); otherwise
# python3.13 / python3.12 on PATH, then pyenv's. OSIPY_PEER_VENV overrides the osipy venv's
# folder, DIPY_VENV the DIPY venv's.
#
# Steps: (1) the venvs (osipy==0.1.4; dipy and cvxpy); (2) `cargo build --release` of
# compare_ivim; (3) compare_osipy/ivim_data_and_peer.py makes the data once (D U(0.5e-3,
# 2.5e-3) mm²/s, f U(0.05, 0.35), D* U(0.01, 0.1) mm²/s, S0 1000, Rician noise SD S0 / SNR),
# saves it as .npy and fits it with osipy's fit_ivim (segmented, full, bayesian; timed), then
# with DIPY on the first --dipy-voxels voxels; (4) compare_ivim fits the same files with ours
# (timed) and prints the table: wall time, voxels/s, the speedup over osipy's segmented fit,
# the median relative errors of D, D* and f against the truth. The last line is
# `min_speedup <X>`, the smaller speedup of our segmented and full fits.
set -euo pipefail

# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

voxels=100000
dipy_voxels=2000
snr=50
threads=
reps=3
seed=1234
dipy=1
work=$(default_work)

while [ $# -gt 0 ]; do
  case "$1" in
    --voxels) [ $# -ge 2 ] || die "--voxels needs a value"; voxels=$2; shift 2 ;;
    --dipy-voxels) [ $# -ge 2 ] || die "--dipy-voxels needs a value"; dipy_voxels=$2; shift 2 ;;
    --snr) [ $# -ge 2 ] || die "--snr needs a value"; snr=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
    --no-dipy) dipy=0; shift ;;
    -h|--help) header_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $voxels =~ ^[1-9][0-9]*$ ]] || die "--voxels expects an integer >= 1, got '$voxels'"
[[ $dipy_voxels =~ ^[1-9][0-9]*$ ]] || die "--dipy-voxels expects an integer >= 1, got '$dipy_voxels'"
[[ $snr =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--snr expects a positive number, got '$snr'"
[ -z "$threads" ] || [[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads expects an integer >= 1, got '$threads'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps expects an integer >= 1, got '$reps'"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed expects a non-negative integer, got '$seed'"
mkdir -p "$work"
work=$(cd "$work" && pwd)
venv=${OSIPY_PEER_VENV:-$work/venv}
dvenv=${DIPY_VENV:-$work/venv-dipy}

# --- (1) the venvs ------------------------------------------------------------------------
peer_venv "$venv"
if [ "$dipy" = 1 ]; then
  if "$dvenv/bin/python" -c 'import dipy, cvxpy' >/dev/null 2>&1; then
    echo "# dipy venv: $dvenv (reused)"
  else
    py=$(find_python)
    echo "# dipy venv: creating $dvenv with $py"
    "$py" -m venv --clear "$dvenv"
    "$dvenv/bin/python" -m pip install -q --upgrade pip
    "$dvenv/bin/python" -m pip install -q dipy cvxpy
  fi
fi

# --- (2) ours ----------------------------------------------------------------------------
build_release osipy-benches compare_ivim

# --- (3) data and the peers' fits ------------------------------------------------------------
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
data=$work/ivim
"$venv/bin/python" "$cmp_dir/ivim_data_and_peer.py" --out "$data" --voxels "$voxels" --snr "$snr" --seed "$seed"
if [ "$dipy" = 1 ]; then
  "$dvenv/bin/python" "$cmp_dir/ivim_data_and_peer.py" --out "$data" --dipy --dipy-voxels "$dipy_voxels"
fi

# --- (4) our fits and the table --------------------------------------------------------------
ours_args=(--reps "$reps")
[ -z "$threads" ] || ours_args+=(--threads "$threads")
echo "# load average before our fits: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$repo"
exec cargo run --release -q -p osipy-benches --bin compare_ivim -- "${ours_args[@]}" "$data"
