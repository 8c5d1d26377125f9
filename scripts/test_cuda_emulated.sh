#!/usr/bin/env bash
# Builds cie with its CUDA sources compiled against the CUDA emulation (-DCIE_CUDA=EMULATED,
# kernels/cuda/emulation/README.md) under sanitizers, and runs the GoogleTest suite there: every
# CUDA twin's test instances (label cuda-emulated) execute on the CPU and are compared with the
# CPU twins, and, under AddressSanitizer + UBSan, every other test too (label sanitized; the CLI
# tests run this build's sanitized cie): this is also the sanitizer build of the whole suite.
#
#   bash scripts/test_cuda_emulated.sh          # ASan + UBSan, whole suite, in build-emulated (CI)
#   bash scripts/test_cuda_emulated.sh address -L cuda-emulated   # ASan + UBSan, CUDA tests only
#   bash scripts/test_cuda_emulated.sh thread   # ThreadSanitizer, CUDA tests, build-emulated-tsan
# Extra arguments go to ctest (e.g. -R Kmeans).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-address}"
shift || true
case "$mode" in
  address)
    dir=build-emulated
    labels=()
    sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    ;;
  thread)
    dir=build-emulated-tsan
    labels=(-L cuda-emulated)
    sanitize="-fsanitize=thread"
    # GCC's libgomp is not instrumented: its barriers are invisible to ThreadSanitizer, so the
    # CPU twins' OpenMP regions (the reference the tests compare with) run on one thread here.
    export OMP_THREAD_LIMIT=1
    export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
    ;;
  *) echo "usage: $0 [address|thread]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIE_CUDA=EMULATED -DCIE_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DCMAKE_CXX_FLAGS="$sanitize -fno-omit-frame-pointer" >/dev/null
cmake --build "$dir" --target cie_tests --parallel "$(nproc)"
ctest --test-dir "$dir" "${labels[@]}" --output-on-failure --parallel "$(nproc)" "$@"
