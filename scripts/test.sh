#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: GoogleTest (CPU always; CUDA tests skip with the
# reason when no GPU is usable) and the Python checks against pandas on the real data sets in
# ../shared/datasets/real; then, under AddressSanitizer + UBSan, the whole GoogleTest suite in
# the CUDA emulation build, where every CUDA test instance runs too (scripts/test_cuda_emulated.sh);
# then each
# libFuzzer target for FUZZ_SECONDS (default 30, 0 skips; scripts/fuzz.sh). Each part's time is
# printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Runs one part and prints how long it took.
part() {
  local start=$SECONDS
  "$@"
  echo "test.sh: '$*' took $((SECONDS - start)) s"
}
part bash scripts/setup.sh
part bash scripts/build.sh "$@"
part ctest --test-dir build --output-on-failure --parallel "$(nproc)"
# The whole GoogleTest suite under ASan + UBSan in the CUDA emulation build (build-emulated), the
# CUDA twins executed on the CPU.
part bash scripts/test_cuda_emulated.sh
# Each libFuzzer target for FUZZ_SECONDS in the clang build (build-fuzz); FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-30}" part bash scripts/fuzz.sh
fi
