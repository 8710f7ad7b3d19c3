#!/usr/bin/env bash
# Side by side with the Python osipy (PyPI 0.1.4): the same synthetic DSC data deconvolved by
# the peer (`osipy.dsc.compute_perfusion_maps`) and by this crate's `osipy::dsc::Perfusion`
# with sSVD, cSVD and oSVD, the same thresholds for both, in one run.
#
# Usage: benches/compare_osipy.sh dsc [--voxels 100000] [--frames 60] [--dt 1.5] [--noise 0.02]
#                                     [--methods ssvd,csvd,osvd] [--threads N] [--reps N]
#                                     [--seed 1234] [--discretisation linear|rectangle]
#                                     [--work DIR]
#
#   --voxels   voxels of the data set (default 100000)
#   --frames   frames per curve (default 60)
#   --dt       frame interval, s (default 1.5)
#   --noise    Gaussian noise SD as a fraction of each voxel's noise-free peak (default 0.02)
#   --methods  ssvd, csvd, osvd, comma list (default all three)
#   --threads  threads of both (OSIPY_NUM_THREADS and OPENBLAS_NUM_THREADS for the peer, rayon
#              for ours); default: each one's default (all cores)
#   --reps     timed runs of each tool per method, the median reported (default 3), after
#              one untimed warm-up run of each on 1,000 voxels
#   --seed     seed of the synthetic data (default 1234)
#   --discretisation  ours' convolution matrix: linear (the library's default: both curves
#              linear between frames, Sourbron 2004) or rectangle (the peer's rule,
#              `A_ij = dt Ca_{i-j}`)
#   --work     folder for the peer's venv and the data (default
#              ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy); the venv is reused when it
#              holds osipy 0.1.4, the data are made afresh on every run
#
# Environment: PYTHON312 picks the interpreter for the venv (any Python >= 3.12); otherwise
# python3.13 / python3.12 on PATH, then pyenv's (`PYENV_VERSION=3.12.x`, `pyenv root`).
# OSIPY_PEER_VENV overrides the venv's folder.
#
# Data (compare_osipy/dsc_data_and_peer.py, numpy alone): a gamma-variate AIF (t0 10 s,
# alpha 3, beta 1.5 s, peak 5 mM, noise-free), CBF U(10, 80) ml/100 g/min, MTT U(2, 8) s,
# CBV = CBF MTT / 60 ml/100 g, an exponential residue without delay, tissue curves from an
# exact recursion between frames with Simpson on 0.01 s of the continuous AIF, density
# 1.04 g/ml and haematocrit factor 1 for the truth and both tools. Thresholds: sSVD and cSVD
# 0.2 of the largest singular value for both, oSVD a target oscillation index of 0.035 for
# both (the tools define the index differently: ours Wu 2003's second differences over
# L max, osipy's first differences; see the Python script's header).
#
# Steps: (1) the venv (Python >= 3.12, pip install osipy==0.1.4); (2) `cargo build --release`
# of compare_dsc; (3) compare_osipy/dsc_data_and_peer.py makes the data once, saves it as .npy
# and runs the peer on it for each method (timed); (4) compare_dsc runs ours on the same files
# (timed) and prints the table: per method wall time (medians), voxels/s, the speedup (peer
# time / our time), the median absolute relative error of CBF, CBV and MTT against the truth (peer /
# ours). The last two lines are `osvd_speedup <X>` and `min_speedup <X>` (the smallest speedup
# over the methods run).
set -euo pipefail

# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

voxels=100000
frames=60
dt=1.5
noise=0.02
methods=ssvd,csvd,osvd
threads=
reps=3
seed=1234
discretisation=linear
work=$(default_work)

while [ $# -gt 0 ]; do
  case "$1" in
    --voxels) [ $# -ge 2 ] || die "--voxels needs a value"; voxels=$2; shift 2 ;;
    --frames) [ $# -ge 2 ] || die "--frames needs a value"; frames=$2; shift 2 ;;
    --dt) [ $# -ge 2 ] || die "--dt needs a value"; dt=$2; shift 2 ;;
    --noise) [ $# -ge 2 ] || die "--noise needs a value"; noise=$2; shift 2 ;;
    --methods) [ $# -ge 2 ] || die "--methods needs a value"; methods=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift 2 ;;
    --discretisation) [ $# -ge 2 ] || die "--discretisation needs a value"; discretisation=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
    -h|--help) header_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $voxels =~ ^[1-9][0-9]*$ ]] || die "--voxels expects an integer >= 1, got '$voxels'"
if [[ ! $frames =~ ^[1-9][0-9]*$ ]] || [ "$frames" -lt 4 ]; then
  die "--frames expects an integer >= 4, got '$frames'"
fi
if [[ ! $dt =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || [[ $dt =~ ^[0.]+$ ]]; then
  die "--dt expects a number > 0, got '$dt'"
fi
[[ $noise =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || die "--noise expects a number >= 0, got '$noise'"
[[ $methods =~ ^(ssvd|csvd|osvd)(,(ssvd|csvd|osvd))*$ ]] ||
  die "--methods expects ssvd, csvd and/or osvd (comma list), got '$methods'"
[ -z "$threads" ] || [[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads expects an integer >= 1, got '$threads'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps expects an integer >= 1, got '$reps'"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed expects a non-negative integer, got '$seed'"
[[ $discretisation =~ ^(linear|rectangle)$ ]] ||
  die "--discretisation expects linear or rectangle, got '$discretisation'"
mkdir -p "$work"
work=$(cd "$work" && pwd)
venv=${OSIPY_PEER_VENV:-$work/venv}

# --- (1) the peer's venv ------------------------------------------------------------------
peer_venv "$venv"

# --- (2) ours ----------------------------------------------------------------------------
build_release osipy-benches compare_dsc

# --- (3) data and the peer's maps -----------------------------------------------------------
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# data: gamma-variate AIF (t0 10 s, alpha 3, beta 1.5 s, peak 5 mM), $voxels voxels x $frames frames $dt s apart, CBF U(10, 80) ml/100g/min, MTT U(2, 8) s, exponential residue, noise SD $noise x each voxel's peak, truth from a 0.01 s Simpson convolution of the continuous AIF, density 1.04, kH 1; seed $seed"
data=$work/data/dsc_$((10#$voxels))
peer_env=()
[ -z "$threads" ] || peer_env=(OSIPY_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads")
env "${peer_env[@]}" "$venv/bin/python" "$cmp_dir/dsc_data_and_peer.py" \
  --out "$data" --voxels "$voxels" --nt "$frames" --dt "$dt" --noise "$noise" \
  --methods "$methods" --reps "$reps" --seed "$seed"

# --- (4) ours and the table ------------------------------------------------------------------
ours_args=(--methods "$methods" --reps "$reps" --discretisation "$discretisation")
[ -z "$threads" ] || ours_args+=(--threads "$threads")
echo "# load average before ours: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$repo"
exec cargo run --release -q -p osipy-benches --bin compare_dsc -- "${ours_args[@]}" "$data"
