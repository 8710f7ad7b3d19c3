#!/usr/bin/env bash
# Device tests on a real GPU, built where there is none (DESIGN.md point 5, third layer).
#
#   scripts/gpu-tests.sh build [OUT]      (here: Rust toolchain, python3, gcc; no GPU needed)
#       Builds the stub libcuda (.ci/stub-libcuda) into $CARGO_TARGET_DIR/stub-cuda, runs
#         cargo test -p osipy-kernels -p osipy-tests --features osipy-kernels/cuda --no-run
#       with CUDA_LIBRARY_PATH pointing at the stub, keeps the test executables that hold
#       device tests (the osipy-kernels lib tests, and test targets whose name contains
#       `cuda`, `device` or `gpu`), strips them and packs them with run.sh into
#       OUT/gpu-tests.tar.gz (OUT defaults to target/gpu-tests), with the fit benchmark
#       (`fit_bench`, release, cuda feature) in bench/. Then runs the packed test binaries
#       here against the stub (they must pass, with every GPU part skipped).
#   scripts/gpu-tests.sh run [ARCHIVE]    (on the GPU machine: NVIDIA driver, no Rust needed)
#       Unpacks ARCHIVE (default target/gpu-tests/gpu-tests.tar.gz) into a temporary folder
#       and runs each binary directly, not through cargo, with --test-threads=1 and
#       OSIPY_REQUIRE_GPU=1 (a GPU part that finds no device fails instead of skipping),
#       then `bench/fit_bench --device cuda` on 1M voxels (kernel time and end to end).
#       LD_LIBRARY_PATH is left alone, so the real libcuda.so.1 is used. Prints every output;
#       exits non-zero if any binary failed. The archive alone also works:
#       `tar xzf gpu-tests.tar.gz && gpu-tests/run.sh`.
#
# The binaries read no source files at run time, so they run from any folder.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"

# The runner packed into the archive. Arguments are passed on to every test binary.
write_runner() {
  cat >"$1" <<'EOF'
#!/usr/bin/env bash
# Runs every test binary of this folder's bin/ with --test-threads=1; non-zero if any failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export OSIPY_REQUIRE_GPU="${OSIPY_REQUIRE_GPU-1}"
failed=()
for t in "$here"/bin/*; do
  echo "=== $(basename "$t")"
  if ! "$t" --test-threads=1 "$@"; then
    failed+=("$(basename "$t")")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "=== FAILED: ${failed[*]}"
  exit 1
fi
echo "=== all test binaries passed"
EOF
  chmod +x "$1"
}

build() {
  local out="${1:-$repo/target/gpu-tests}"
  local target="${CARGO_TARGET_DIR:-$repo/target}"
  local stub="$target/stub-cuda"
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  "$repo/.ci/stub-libcuda/build.sh" "$stub"

  local json="$out/cargo-test.json"
  echo "== cargo test --no-run (cuda feature, stub libcuda)"
  (cd "$repo" && CUDA_LIBRARY_PATH="$stub" cargo test -p osipy-kernels -p osipy-tests \
    --features osipy-kernels/cuda --no-run --message-format=json) >"$json"

  local stage="$out/stage/gpu-tests"
  rm -rf "$out/stage"
  mkdir -p "$stage/bin"
  # name<TAB>executable for each selected test executable.
  python3 - "$json" >"$out/selected.tsv" <<'EOF'
import json, re, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("profile", {}).get("test"):
        continue
    exe, t = m.get("executable"), m.get("target", {})
    if not exe or exe in seen:
        continue
    # package_id: "path+file:///dir#name@version", or "path+file:///name#version".
    path, _, frag = m.get("package_id", "").partition("#")
    pkg = frag.split("@")[0] if "@" in frag else path.rstrip("/").split("/")[-1]
    name, kinds = t.get("name", ""), t.get("kind", [])
    lib_tests = name == "osipy_kernels" and "lib" in kinds
    device_target = re.search(r"cuda|device|gpu", name) is not None
    if lib_tests or device_target:
        seen.add(exe)
        print(f"{pkg}-{'lib' if lib_tests else name}\t{exe}")
EOF
  if [ ! -s "$out/selected.tsv" ]; then
    echo "no device test executables found in $json" >&2
    exit 1
  fi
  while IFS=$'\t' read -r name exe; do
    cp "$exe" "$stage/bin/$name"
    strip "$stage/bin/$name"
    echo "packed $name ($(du -h "$stage/bin/$name" | cut -f1), from $exe)"
  done <"$out/selected.tsv"
  echo "== fit_bench (release, cuda feature, stub libcuda)"
  (cd "$repo" && CUDA_LIBRARY_PATH="$stub" cargo build --release -p osipy --features cuda \
    --example fit_bench)
  mkdir -p "$stage/bench"
  cp "$target/release/examples/fit_bench" "$stage/bench/fit_bench"
  strip "$stage/bench/fit_bench"
  echo "packed bench/fit_bench ($(du -h "$stage/bench/fit_bench" | cut -f1))"
  write_runner "$stage/run.sh"
  tar -C "$out/stage" -czf "$out/gpu-tests.tar.gz" gpu-tests
  local bytes
  bytes="$(stat -c %s "$out/gpu-tests.tar.gz")"
  echo "== $out/gpu-tests.tar.gz: $bytes bytes ($((bytes / 1024 / 1024)) MiB)"
  if [ "$bytes" -ge $((48 * 1024 * 1024)) ]; then
    echo "archive too large to carry to the GPU machine (limit 64 MiB with the tree)" >&2
    exit 1
  fi

  echo "== running the packed binaries against the stub libcuda (no GPU: GPU parts skip)"
  local check
  check="$(mktemp -d)"
  tar -C "$check" -xzf "$out/gpu-tests.tar.gz"
  (cd / && LD_LIBRARY_PATH="$stub/lib64" OSIPY_REQUIRE_GPU=0 OSIPY_CUDA_STUB=1 "$check/gpu-tests/run.sh")
  rm -rf "$check"
}

run() {
  local archive="${1:-$repo/target/gpu-tests/gpu-tests.tar.gz}"
  local dir
  dir="$(mktemp -d)"
  tar -C "$dir" -xzf "$archive"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  fi
  local rc=0
  (cd "$dir" && OSIPY_REQUIRE_GPU=1 "$dir/gpu-tests/run.sh") || rc=$?
  echo "=== fit_bench --device cuda (1M voxels x 80 samples)"
  "$dir/gpu-tests/bench/fit_bench" --device cuda --voxels 1000000 --samples 80 --reps 3 || rc=$?
  rm -rf "$dir"
  return "$rc"
}

case "$mode" in
  build) build "${2:-}" ;;
  run) run "${2:-}" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
