#!/usr/bin/env bash
# The whole GPU check in one call, for a machine with an NVIDIA GPU, nvcc, CMake and ninja but
# none of our Debian libraries and no network (the device tool's machines). Unpacks the packages
# carried in .gpu-deps/debs (made by bench/fetch_gpu_deps.sh) into a prefix, builds cie with
# CUDA, runs the whole GoogleTest suite (the CUDA twins run instead of skipping), the RFM
# benchmark and `cie rfm --device cuda` on generated data, and prints a short table last.
# Everything it prints goes to ${OUT:-bench/results}/gpu-check-<date>.log as well.
#
#   device run, carry [".gpu-deps"]:  bash bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
results="${OUT:-bench/results}"
mkdir -p "$results"
log="$results/gpu-check-$(date -u +%Y%m%d-%H%M).log"
exec > >(tee "$log") 2>&1

prefix="$PWD/.gpu-deps/prefix"
for deb in .gpu-deps/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
echo "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
echo "date: $(date -u +%F) commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix/usr" \
  -DCMAKE_INCLUDE_PATH="$prefix/usr/include" -DCMAKE_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu" \
  -DPKG_CONFIG_PATH="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig" || exit 1
PKG_CONFIG_PATH="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig" cmake --build build-gpu -j 16 || exit 1

build-gpu/tests/cie_tests --gtest_brief=1; tests_rc=$?
build-gpu/cie --log-level warn gen --customers 1000000 --seed 1 --out /tmp/cie-gpu
for device in cpu cuda; do
  /usr/bin/time -f "$device wall %e s, peak RSS %M KiB" build-gpu/cie --device "$device" rfm \
    --transactions /tmp/cie-gpu/transactions.csv --out "/tmp/cie-gpu/rfm-$device.csv" | tail -1
done
cmp /tmp/cie-gpu/rfm-cpu.csv /tmp/cie-gpu/rfm-cuda.csv && same="identical" || same="DIFFERENT"
echo
echo "| check | result |"
echo "|---|---|"
echo "| GoogleTest (CUDA twins included) | exit $tests_rc |"
echo "| cie rfm 1M customers: CPU vs CUDA output | $same |"
exit $tests_rc
