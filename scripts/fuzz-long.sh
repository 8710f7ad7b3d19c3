#!/usr/bin/env bash
# The long fuzz run of the readers (opt-in; CI runs the bounded one, fuzz/tests/bounded_run.rs):
# a release build of osipy-fuzz, each reader in its own process under a 256 MiB address-space
# cap, so an input that allocates beyond what a small file justifies aborts the run.
#
#   bash scripts/fuzz-long.sh [INPUTS_PER_READER [DICOM_INPUTS [SEED]]]
#
# Defaults: 10,000,000 inputs for nifti, npy and config; 100,000 for dicom; seed 1. TARGETS
# (default "nifti npy config dicom") picks the readers. A reader's inputs are split into chunks
# of CHUNK (default 1,000,000; one process each) so an abort names its chunk and the run goes on;
# replay a chunk with `--start K --count N --verbose` to find the input, and
# `--start K --count 1 --dump DIR` to keep it as a file.
set -uo pipefail
cd "$(dirname "$0")/.."
inputs="${1:-10000000}"
dicom_inputs="${2:-100000}"
seed="${3:-1}"
cap_kib=$((256 * 1024))
chunk="${CHUNK:-1000000}"
cargo build --release -p osipy-fuzz --quiet || exit 1
bin=target/release/osipy-fuzz
status=0
for target in ${TARGETS:-nifti npy config dicom}; do
  n="$inputs"
  [ "$target" = dicom ] && n="$dicom_inputs"
  start=0
  while [ "$start" -lt "$n" ]; do
    count=$((n - start < chunk ? n - start : chunk))
    line="$( (ulimit -v "$cap_kib"; "$bin" --target "$target" --seed "$seed" --start "$start" --count "$count") 2>/dev/null)"
    rc=$?
    echo "$line"
    if [ "$rc" -gt 1 ]; then
      echo "$target: ABORT (exit $rc) in inputs $start..$((start + count)) of seed $seed"
      status=1
    elif [ "$rc" -eq 1 ]; then
      status=1
    fi
    start=$((start + count))
  done
done
exit "$status"
