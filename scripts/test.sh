#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: GoogleTest (CPU always; CUDA tests skip with the
# reason when no GPU is usable) and the Python checks against pandas on the real data sets in
# ../shared/datasets/real; then every CUDA test instance on the CUDA emulation under the
# sanitizers (scripts/test_cuda_emulated.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh "$@"
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
# The CUDA twins executed on the CPU: the CUDA emulation build under ASan + UBSan (build-emulated).
bash scripts/test_cuda_emulated.sh
