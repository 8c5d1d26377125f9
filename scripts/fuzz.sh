#!/usr/bin/env bash
# Builds cie's libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/, and runs each for FUZZ_SECONDS (default 30) on a
# copy of its seed corpus (tests/fuzz/corpus/<target>; the copy grows, the seeds do not).
# A crash, sanitizer report, leak or timeout fails the script; libFuzzer writes the input that
# caused it to build-fuzz/findings/<target>/: add it to the target's corpus folder as a
# regression once fixed (tests/fuzz/test_fuzz_corpus.cpp runs the corpora in every test run).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
bash scripts/setup.sh
fuzz_packages=(clang libclang-rt-14-dev libomp-14-dev)
for p in "${fuzz_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    [ "$(id -u)" -eq 0 ] && sudo_cmd=() || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$p"
  fi
done
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCIE_CUDA=OFF -DCIE_BUILD_TESTS=OFF -DCIE_BUILD_BENCH=OFF \
  -DCIE_FUZZ=ON >/dev/null
targets=(transactions customer_table nightly_config model_file date)
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"
for target in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$target"
  findings="build-fuzz/findings/$target"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  echo "fuzz: $target for ${seconds} s"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" \
    >"build-fuzz/$target.log" 2>&1 || {
    tail -40 "build-fuzz/$target.log"
    echo "fuzz: $target FOUND A PROBLEM; its input is in $findings/"
    exit 1
  }
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "build-fuzz/$target.log" |
    tr '\n' ' '
  echo
done
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without findings"
