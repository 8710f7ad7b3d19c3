#!/usr/bin/env bash
# Side by side with the Python osipy (PyPI 0.1.4): the same synthetic DCE data fitted by the
# peer (its defaults) and by this crate's Tofts and extended Tofts models, in one run.
#
# Usage: benches/compare_osipy.sh [dce] [--sizes 10000,300000] [--models tofts,extended_tofts]
#                                 [--threads N] [--reps N] [--seed 1234] [--work DIR]
#                                 [--aif-interp linear|spline|both]
#
#   --sizes    voxel counts (comma list; default 10000,300000); 80 samples 4 s apart each
#   --models   tofts, extended_tofts or both (default both)
#   --threads  threads of both fitters (OSIPY_NUM_THREADS for the peer, rayon for ours);
#              default: each one's default (all cores)
#   --reps     timed fits of ours per data set, median reported (default 5 up to 100,000
#              voxels, 3 above); the peer is timed once, as osipy_bench.py does
#   --seed     seed of the synthetic data (default 1234)
#   --aif-interp  how ours takes the AIF between its samples (both fitters get the same
#              samples): linear (as the peer), spline (natural cubic spline through them) or
#              both (default: one row each; min_speedup covers every row)
#   --work     folder for the peer's venv and the data (default
#              ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy); the venv is reused when it
#              holds osipy 0.1.4, the data are made afresh on every run
#
# Environment: PYTHON312 picks the interpreter for the venv (any Python >= 3.12); otherwise
# python3.13 / python3.12 on PATH, then pyenv's (`PYENV_VERSION=3.12.x`, `pyenv root`).
# OSIPY_PEER_VENV overrides the venv's folder.
#
# Steps: (1) the venv (Python >= 3.12, pip install osipy==0.1.4); (2) `cargo build --release`
# of compare_fit; (3) compare_osipy/dce_data_and_peer.py makes each data set once, saves it as
# .npy and fits it with the peer (timed); (4) compare_fit fits the same files with ours (timed)
# and prints the table: wall time, voxels/s, the speedup (peer time / our time), each parameter's
# median absolute relative error against the truth (peer / ours), the fraction converged. The
# last line is `min_speedup <X>`, the smallest speedup in the table.
set -euo pipefail

# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

sizes=10000,300000
models=tofts,extended_tofts
threads=
reps=
seed=1234
interp=both
work=$(default_work)

while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) [ $# -ge 2 ] || die "--sizes needs a value"; sizes=$2; shift 2 ;;
    --models) [ $# -ge 2 ] || die "--models needs a value"; models=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift 2 ;;
    --aif-interp) [ $# -ge 2 ] || die "--aif-interp needs a value"; interp=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
    -h|--help) header_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes expects a comma list of integers, got '$sizes'"
[[ $models =~ ^(tofts|extended_tofts)(,(tofts|extended_tofts))*$ ]] ||
  die "--models expects tofts and/or extended_tofts (comma list), got '$models'"
[ -z "$threads" ] || [[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads expects an integer >= 1, got '$threads'"
[ -z "$reps" ] || [[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps expects an integer >= 1, got '$reps'"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed expects a non-negative integer, got '$seed'"
[[ $interp =~ ^(linear|spline|both)$ ]] || die "--aif-interp expects linear, spline or both, got '$interp'"
mkdir -p "$work"
work=$(cd "$work" && pwd)
venv=${OSIPY_PEER_VENV:-$work/venv}

# --- (1) the peer's venv ------------------------------------------------------------------
peer_venv "$venv"

# --- (2) ours ----------------------------------------------------------------------------
build_release osipy-benches compare_fit

# --- (3) data and the peer's fits ----------------------------------------------------------
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# data: Parker AIF (osipy ParkerAIF, used as the plasma curve by both), 80 samples 4 s apart, Ktrans U(0.01, 0.5) /min, ve U(0.05, 0.6), vp U(0.005, 0.1), noise SD 0.01 mM, truth from a 0.05 s Simpson convolution of the continuous AIF; seed $seed"
data=$work/data
peer_env=()
[ -z "$threads" ] || peer_env=(OSIPY_NUM_THREADS="$threads")
env "${peer_env[@]}" "$venv/bin/python" "$cmp_dir/dce_data_and_peer.py" \
  --out "$data" --models "$models" --sizes "$sizes" --seed "$seed"

# --- (4) our fits and the table --------------------------------------------------------------
dirs=()
IFS=, read -r -a model_list <<<"$models"
IFS=, read -r -a size_list <<<"$sizes"
for m in "${model_list[@]}"; do
  for n in "${size_list[@]}"; do dirs+=("$data/${m}_$((10#$n))"); done
done
ours_args=(--aif-interp "$interp")
[ -z "$threads" ] || ours_args+=(--threads "$threads")
[ -z "$reps" ] || ours_args+=(--reps "$reps")
echo "# load average before our fits: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$repo"
exec cargo run --release -q -p osipy-benches --bin compare_fit -- "${ours_args[@]}" "${dirs[@]}"
