#!/usr/bin/env bash
# Builds the stub CUDA driver library (DESIGN.md point 4) into OUT:
#
#   .ci/stub-libcuda/build.sh OUT        -> OUT/lib64/libcuda.so.1, OUT/lib64/libcuda.so
#
# Every cu* symbol cust_raw declares returns CUDA_ERROR_NO_DEVICE; cuGetErrorString and
# cuGetErrorName succeed. Build with CUDA_LIBRARY_PATH=OUT (cust_raw's build script links
# from $CUDA_LIBRARY_PATH/lib64) and run with LD_LIBRARY_PATH=OUT/lib64.
# Needs python3, gcc and nm, and cust_raw in the cargo registry (`cargo fetch`).
# CUST_RAW_BINDINGS may name the bindings file (cust_raw-*/src/cuda.rs) explicitly.
set -euo pipefail
export LC_ALL=C
if [ $# -ne 1 ]; then
  echo "usage: $0 OUT" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1/lib64"
out="$(cd "$1" && pwd)"
src="$out/libcuda_stub.c"

python3 "$here/gen_stub.py" ${CUST_RAW_BINDINGS:+"$CUST_RAW_BINDINGS"} "$src"
gcc -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$out/lib64/libcuda.so.1" "$src"
ln -sf libcuda.so.1 "$out/lib64/libcuda.so"

# Every declared symbol must be exported.
missing="$(comm -23 <(sort "$src.symbols") \
  <(nm -D --defined-only "$out/lib64/libcuda.so.1" | awk '{print $3}' | sort))"
if [ -n "$missing" ]; then
  echo "stub libcuda lacks symbols:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "stub libcuda: $(wc -l <"$src.symbols") symbols in $out/lib64/libcuda.so.1"
