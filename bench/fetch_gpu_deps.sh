#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with network to the package mirror): downloads the Debian
# packages cie builds against into .gpu-deps/debs (ignored by git), so that the device tool can
# carry them to a GPU machine that has nvcc, CMake and ninja but none of our libraries and no
# network. bench/gpu_check.sh unpacks them there (`time` gives GNU time for the peak-RSS figures
# of bench/nightly_scale.sh; libgomp1 is only used where the machine's compiler has none).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu-deps/debs
cd .gpu-deps/debs
apt-get download -q \
  libfmt-dev libfmt9 libcli11-dev libtomlplusplus-dev libtomlplusplus3 libfast-float-dev \
  libxxhash-dev libxxhash0 nlohmann-json3-dev libeigen3-dev libgtest-dev libgmock-dev \
  libbenchmark-dev libbenchmark1debian libgomp1 time
ls -1 | wc -l
