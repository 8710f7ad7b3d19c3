#!/usr/bin/env bash
# Side by side with the Python osipy (PyPI 0.1.4), one modality per run.
#
# Usage: benches/compare_osipy.sh [MODALITY] [ARGS...]
#        benches/compare_osipy.sh MODALITY --help
#
#   MODALITY  the first argument when it does not start with '-' (default: dce); runs
#             benches/compare_osipy/MODALITY.sh with the remaining ARGS
#
# `benches/compare_osipy.sh` and `benches/compare_osipy.sh --sizes 1000` are
# `benches/compare_osipy.sh dce` and `benches/compare_osipy.sh dce --sizes 1000`. A modality is
# added by adding its script benches/compare_osipy/<name>.sh; common.sh and _*.sh there are
# shared helpers, not modalities.
set -euo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compare_osipy
# shellcheck source=compare_osipy/common.sh
. "$dir/common.sh"

modalities() {
  local f name
  for f in "$dir"/*.sh; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .sh)
    case "$name" in common|_*) continue ;; esac
    echo "$name"
  done
}

usage() {
  header_usage "${BASH_SOURCE[0]}"
  echo
  echo "Modalities: $(modalities | paste -sd' ' -)"
  echo "Each one's flags: benches/compare_osipy.sh MODALITY --help"
}

modality=dce
if [ $# -gt 0 ]; then
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -*) ;;
    *) modality=$1; shift ;;
  esac
fi
if [[ ! $modality =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] || [[ $modality == common ]] ||
  [ ! -f "$dir/$modality.sh" ]; then
  die "unknown modality '$modality' (found: $(modalities | paste -sd' ' -))"
fi
exec bash "$dir/$modality.sh" "$@"
