#!/usr/bin/env bash
# Builds cie with its CUDA sources compiled against the CUDA emulation (-DCIE_CUDA=EMULATED,
# kernels/cuda/emulation/README.md) under sanitizers, and runs every CUDA twin's tests there
# (label cuda-emulated): they execute on CPU threads and are compared with the CPU twins. Under
# AddressSanitizer + UBSan this is also the sanitizer build of the whole GoogleTest suite: with
# CIE_SANITIZED_SUITE=1 every other test runs there too (label sanitized), the CLI tests on this
# build's sanitized cie.
#
#   bash scripts/test_cuda_emulated.sh          # ASan + UBSan, CUDA tests, in build-emulated (CI)
#   CIE_SANITIZED_SUITE=1 bash scripts/test_cuda_emulated.sh   # ASan + UBSan, whole suite
#   bash scripts/test_cuda_emulated.sh thread   # ThreadSanitizer, CUDA tests, build-emulated-tsan
# Extra arguments go to ctest (e.g. -R Kmeans).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-address}"
shift || true
case "$mode" in
  address)
    dir=build-emulated
    # CI runs the CUDA test instances (label cuda-emulated); CIE_SANITIZED_SUITE=1 runs every
    # other GoogleTest test under the sanitizers too (label sanitized: about 14 more minutes on
    # 2 cores; CI, 33 minutes without them, would take about 47: over its 45-minute budget).
    labels=(-L cuda-emulated)
    [ "${CIE_SANITIZED_SUITE:-0}" = 1 ] && labels=()
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
