#!/usr/bin/env bash
# Builds cie's libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/, and runs each for FUZZ_SECONDS (default 30) on a
# copy of its seed corpus (tests/fuzz/corpus/<target>; the copy grows, the seeds do not), as many
# targets at once as there are cores. CI (scripts/test.sh) runs it with FUZZ_SECONDS=30.
# A crash, sanitizer report, leak or timeout fails the script; libFuzzer writes the input that
# caused it to build-fuzz/findings/<target>/: add it to the target's corpus folder as a
# regression once fixed (tests/fuzz/test_fuzz_corpus.cpp runs the corpora in every test run).
#
#   bash scripts/fuzz.sh                       # every target, FUZZ_SECONDS each
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh date # one target, longer
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
bash scripts/setup.sh
# clang, its sanitizer and libFuzzer runtimes (libclang-rt), LLVM's OpenMP for clang, and
# llvm-symbolizer for readable stack traces; Debian 12's packages, about 30 MB to download.
fuzz_packages=(clang libclang-rt-14-dev libomp-14-dev llvm-14)
missing=()
for p in "${fuzz_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
# -O1 -gline-tables-only as OSS-Fuzz builds: stack traces keep file and line, and the build
# takes about 20% less CPU than -O2 -g.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DCIE_CUDA=OFF \
  -DCIE_BUILD_TESTS=OFF -DCIE_BUILD_BENCH=OFF -DCIE_FUZZ=ON >/dev/null
all_targets=(transactions customer_table nightly_config model_file date)
targets=("${all_targets[@]}")
(($# == 0)) || targets=("$@")
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

# Runs one target; its log is build-fuzz/<target>.log, its exit status build-fuzz/<target>.rc.
fuzz_one() {
  local target="$1" corpus="build-fuzz/corpus/$1" findings="build-fuzz/findings/$1"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  local rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 OMP_WAIT_POLICY=passive \
    "build-fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" \
    >"build-fuzz/$target.log" 2>&1 || rc=$?
  echo "$rc" >"build-fuzz/$target.rc"
}
echo "fuzz: ${targets[*]} for ${seconds} s each, $(nproc) at a time"
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= $(nproc))); do wait -n || true; done
  fuzz_one "$target" &
done
wait
failed=0
for target in "${targets[@]}"; do
  if [ "$(cat "build-fuzz/$target.rc")" != 0 ]; then
    tail -40 "build-fuzz/$target.log"
    echo "fuzz: $target FOUND A PROBLEM; its input is in build-fuzz/findings/$target/"
    failed=1
  else
    awk -v t="$target" -v n="$(ls "build-fuzz/corpus/$target" | wc -l)" \
      '/^stat::number_of_executed_units/ {r = $2} /^stat::peak_rss_mb/ {m = $2}
       END {print "fuzz: " t ": " r " runs, peak RSS " m " MB, corpus " n " inputs"}' \
      "build-fuzz/$target.log"
  fi
done
((failed == 0)) || exit 1
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without findings"
