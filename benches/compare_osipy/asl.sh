#!/usr/bin/env bash
# Side by side with the Python osipy (PyPI 0.1.4): the same synthetic multi-PLD PCASL data
# quantified by the peer (quantify_multi_pld, quantify_cbf) and by osipy::asl::Perfusion.
#
# Usage: benches/compare_osipy.sh asl [--voxels 100000] [--threads N] [--reps N] [--seed 1234]
#                                     [--noise 3e-4] [--work DIR]
#
#   --voxels   voxels (default 100000); 6 PLDs (0.25-2.5 s) after 1.8 s of PCASL labelling
#   --threads  threads of both (OSIPY_NUM_THREADS for the peer, rayon for ours); default: each
#              one's default (all cores)
#   --reps     timed runs of ours, median reported (default 5); the peer is timed once
#   --seed     seed of the synthetic data (default 1234)
#   --noise    noise SD on ΔM as a fraction of M0 (default 3e-4)
#   --work     folder for the peer's venv and the data (default
#              ${CARGO_TARGET_DIR:-<repo>/target}/compare-osipy); the venv is reused when it
#              holds osipy 0.1.4, the data are made afresh on every run
#
# Environment: as benches/compare_osipy.sh dce (PYTHON312, OSIPY_PEER_VENV).
#
# Steps: (1) the venv (common.sh); (2) `cargo build --release` of compare_asl; (3)
# compare_osipy/asl_data_and_peer.py makes the data once with numpy (CBF U(20, 90)
# ml/100g/min, ATT U(0.5, 2) s, M0 U(800, 1200), the Buxton model, Gaussian noise), saves it
# as .npy and quantifies it with the peer (timed); (4) compare_asl quantifies the same files with
# ours (timed) and prints the table: wall time, voxels/s, speedup, median relative errors of
# CBF and ATT (peer / ours). The last line is `min_speedup <X>` (the multi-PLD fit).
set -euo pipefail

# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

voxels=100000
threads=
reps=
seed=1234
noise=3e-4
work=$(default_work)

while [ $# -gt 0 ]; do
  case "$1" in
    --voxels) [ $# -ge 2 ] || die "--voxels needs a value"; voxels=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift 2 ;;
    --noise) [ $# -ge 2 ] || die "--noise needs a value"; noise=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
    -h|--help) header_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $voxels =~ ^[1-9][0-9]*$ ]] || die "--voxels expects an integer >= 1, got '$voxels'"
[ -z "$threads" ] || [[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads expects an integer >= 1, got '$threads'"
[ -z "$reps" ] || [[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps expects an integer >= 1, got '$reps'"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed expects a non-negative integer, got '$seed'"
[[ $noise =~ ^[0-9.]+([eE]-?[0-9]+)?$ ]] || die "--noise expects a number >= 0, got '$noise'"
mkdir -p "$work"
work=$(cd "$work" && pwd)
venv=${OSIPY_PEER_VENV:-$work/venv}

# --- (1) the peer's venv ------------------------------------------------------------------
peer_venv "$venv"

# --- (2) ours ----------------------------------------------------------------------------
build_release osipy-benches compare_asl

# --- (3) data and the peer's fits ----------------------------------------------------------
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# data: PCASL, tau 1.8 s, PLDs 0.25,0.5,1,1.5,2,2.5 s, CBF U(20,90) ml/100g/min, ATT U(0.5,2) s, M0 U(800,1200), T1b 1.65 s, T1t 1.33 s, alpha 0.85, lambda 0.9, noise SD $noise x M0; seed $seed"
data=$work/asl_$voxels
peer_env=()
[ -z "$threads" ] || peer_env=(OSIPY_NUM_THREADS="$threads")
env "${peer_env[@]}" "$venv/bin/python" "$cmp_dir/asl_data_and_peer.py" \
  --out "$data" --voxels "$voxels" --seed "$seed" --noise "$noise"

# --- (4) ours and the table ----------------------------------------------------------------
ours_args=()
[ -z "$threads" ] || ours_args+=(--threads "$threads")
[ -z "$reps" ] || ours_args+=(--reps "$reps")
echo "# load average before our fits: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$repo"
exec cargo run --release -q -p osipy-benches --bin compare_asl -- "${ours_args[@]}" "$data"
