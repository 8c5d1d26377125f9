#!/usr/bin/env bash
# Configures and builds cie in build/ (Release; CUDA when nvcc is found, see CIE_CUDA).
# Extra arguments go to CMake's configure step, e.g. -DCIE_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build --parallel "$(nproc)"
