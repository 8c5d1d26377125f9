#!/usr/bin/env bash
# The whole GPU check in one call, for a machine with an NVIDIA GPU, nvcc, CMake and ninja but
# none of our Debian libraries and no network (the device tool's machines). Unpacks the packages
# carried in .gpu-deps/debs (made by bench/fetch_gpu_deps.sh) into a prefix, builds cie with
# CUDA, then, each step going on whatever the previous ones gave:
#   tests     the whole GoogleTest suite (the CUDA twins must run, not skip)
#   rfm       `cie rfm` on 1M generated customers, CPU vs CUDA: wall time, outputs identical
#   kmeans    kmeans_driver --synthetic 10M x 8, k = 16, 20 iterations: s/iteration, inertia,
#             one Lloyd pass against the floor (bytes read per pass / device_bandwidth's read GB/s);
#             and 1M x 8, k = 16, k-means++ n_init 3 with Hartigan refinement: seeding, Lloyd and
#             refinement on both twins, which must reach the same inertia (1e-5); and the 10M
#             fit again with x streamed through the device in chunks (kernels/kmeans_chunked.hpp):
#             same inertia bits, one pass against the floor (bytes copied / host-to-device GB/s)
#   logistic  logistic_driver --synthetic 1M and 10M x 32: fit seconds, log-loss, coefficients
#   score     score_driver --synthetic 10M: customers/s, probabilities and labels
#   clv       `cie clv fit --spend gamma-gamma` (BG/NBD) and `--model-type pareto-nbd` on the 1M
#             customers' RFM summary, CPU vs CUDA (the log-likelihood passes): wall time,
#             parameters within 1e-6 and log-likelihoods within 1e-9 relative
#   offers    offers_driver --synthetic 10M x 20 offers, 10 passes: s/pass, the passes identical
#             on both twins (usage, value, dual part, slots), one pass against the floor
#   gbdt      gbdt_device_driver --synthetic 1M x 32 (2 categorical), 200 trees, 63 leaves, 255
#             bins: fit and score seconds, the two models' trees equal (splits, thresholds,
#             default directions, categorical sets; leaf values within 1e-9 relative) and the
#             margins within 1e-9 (GBDT_ROWS, GBDT_TREES: smaller runs)
#   nightly   bench/nightly_scale.sh 1000000 with `cie --device cpu` and `--device cuda run`:
#             wall time, the two customers.csv compared (bench/gpu_check_tools.py)
# and prints a markdown table last (check, cpu, cuda, ratio, verdict). Full log and table:
# ${OUT:-bench/results}/gpu-check-<utc stamp>.log and .md, with machine, date and commit.
# Exit status 1 when any check failed (its row says FAIL), else 0.
#
# Written and tested on a machine without a GPU only (GPU_CHECK_DEVICE=cpu); the CUDA path has
# never run: expect to fix something on its first use.
#
#   device run, carry [".gpu-deps"]:  COMMIT=<sha> bash bench/gpu_check.sh
#   two calls (600 s each at most):   STEPS=tests ...   then   STEPS=bench ...
#   test here without a GPU:          GPU_CHECK_DEVICE=cpu BUILD_DIR=build CIE_CUDA=OFF JOBS=2 bash bench/gpu_check.sh
#
# Settings: STEPS (comma list of the steps above, `bench` = all but tests, `build` = build only;
# default all), GPU_CHECK_DEVICE (cuda; cpu runs every "cuda" column on the CPU and skips the
# bandwidth probe), BUILD_DIR (build-gpu), CIE_CUDA (ON), CUDA_ARCH (90: H100 and H200), JOBS
# (nproc), WORK (/tmp/cie-gpu-check: generated data), CMAKE_ARGS (extra configure arguments),
# COMMIT (recorded when the copy has no .git).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
results="${OUT:-bench/results}"
mkdir -p "$results"
stamp="$(date -u +%Y%m%d-%H%M%S)"
log="$results/gpu-check-$stamp.log"
table="$results/gpu-check-$stamp.md"
exec > >(tee "$log") 2>&1
tee_pid=$!

build="${BUILD_DIR:-build-gpu}"
mode="${GPU_CHECK_DEVICE:-cuda}"
steps=",${STEPS:-all},"
work="${WORK:-/tmp/cie-gpu-check}"
jobs="${JOBS:-$(nproc)}"
commit="${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
dev="cuda"
[[ "$mode" == "cuda" ]] || dev="cpu"
mkdir -p "$work"
rows="$work/rows-$stamp.md"
: >"$rows"
status=0

want() {
  case "$steps" in *",all,"* | *",$1,"*) return 0 ;; esac
  [[ "$1" != tests && "$steps" == *",bench,"* ]]
}
add_row() {  # check cpu cuda ratio verdict
  echo "| $1 | $2 | $3 | $4 | $5 |" | tee -a "$rows"
  [[ "$5" != FAIL* ]] || status=1
}
compare() {  # check-name-if-it-crashes, then gpu_check_tools.py arguments; appends its rows
  local check="$1" out rc
  shift
  out="$(python3 bench/gpu_check_tools.py "$@")"
  rc=$?
  if [[ -n "$out" ]]; then echo "$out" | tee -a "$rows"; fi
  if ((rc != 0)); then
    status=1
    [[ -n "$out" ]] || add_row "$check" - - - "FAIL: gpu_check_tools.py exit $rc"
  fi
}
have() {  # binary check-name: true when the binary was built, else a FAIL row
  [[ -x "$1" ]] && return 0
  add_row "$2" - - - "FAIL: $1 was not built"
  return 1
}
section() { echo; echo "=== $* ($(date -u +%T))"; }

# --- dependencies: the carried Debian packages, unpacked into a prefix -------------------------
prefix="$PWD/.gpu-deps/prefix"
cmake_deps=()
if compgen -G ".gpu-deps/debs/*.deb" >/dev/null; then
  section "unpacking .gpu-deps/debs into $prefix"
  mkdir -p "$prefix"
  for deb in .gpu-deps/debs/*.deb; do
    # Keep the machine's own OpenMP runtime when its compiler has one (a newer one than Debian's).
    if [[ "$(basename "$deb")" == libgomp1_* && "$(c++ -print-file-name=libgomp.so.1 2>/dev/null)" == /* ]]; then
      continue
    fi
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$prefix" || echo "dpkg -x failed: $deb"
    else  # no dpkg: the .deb is an ar archive holding data.tar.{xz,zst,gz}
      member="$(ar t "$deb" | grep '^data\.tar')"
      case "$member" in *.xz) unpack=-J ;; *.zst) unpack=--zstd ;; *) unpack=-z ;; esac
      ar p "$deb" "$member" | tar -x "$unpack" -C "$prefix" || echo "unpacking failed: $deb"
    fi
  done
  libdir="$prefix/usr/lib/x86_64-linux-gnu"
  export LD_LIBRARY_PATH="$libdir:${LD_LIBRARY_PATH:-}"
  export PKG_CONFIG_PATH="$libdir/pkgconfig:$prefix/usr/share/pkgconfig:${PKG_CONFIG_PATH:-}"
  # $libdir/cmake too: find_package looks in <prefix>/<name>*/, which finds the multiarch package
  # configs even where CMake does not know the Debian library architecture.
  cmake_deps=(-DCMAKE_PREFIX_PATH="$prefix/usr;$libdir/cmake" -DCMAKE_INCLUDE_PATH="$prefix/usr/include"
              -DCMAKE_LIBRARY_PATH="$libdir")
  [[ -x "$prefix/usr/bin/time" ]] && export TIME_BIN="$prefix/usr/bin/time"
else
  echo "no .gpu-deps/debs here: building against the system's libraries"
fi

section "machine"
if command -v nvidia-smi >/dev/null; then
  echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1)"
else
  echo "gpu: no nvidia-smi"
fi
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
     "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "date: $(date -u '+%F %T') UTC; commit: $commit; mode: GPU_CHECK_DEVICE=$mode; steps: ${STEPS:-all}"
[[ "$mode" == "cuda" ]] || echo "TEST MODE: the 'cuda' column runs on the CPU; nothing here measures a GPU"

# --- build -------------------------------------------------------------------------------------
section "build ($build)"
targets=()  # everything for the tests or STEPS=build; else only what the benchmarks run
if ! want tests && [[ "$steps" != *",build,"* ]]; then
  targets=(--target cie kmeans_driver logistic_driver score_driver offers_driver
           gbdt_device_driver)
  [[ "$mode" != "cuda" ]] || targets+=(device_bandwidth)
fi
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of words
if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIE_CUDA="${CIE_CUDA:-ON}" \
     -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" "${cmake_deps[@]}" ${CMAKE_ARGS:-}; then
  # -k 0: build every target that compiles, so one broken file does not stop the other checks.
  if cmake --build "$build" -j "$jobs" "${targets[@]}" -- -k 0; then
    add_row "build ($build, CIE_CUDA=${CIE_CUDA:-ON})" - - - ok
  else
    add_row "build ($build, CIE_CUDA=${CIE_CUDA:-ON})" - - - "FAIL: see the log; checks run with what was built"
  fi
else
  add_row "configure ($build)" - - - "FAIL: cmake configure, see the log"
fi
cie="$build/cie"
drivers="$build/bench"

# --- tests -------------------------------------------------------------------------------------
if want tests && have "$build/tests/cie_tests" "GoogleTest suite"; then
  section "GoogleTest suite"
  start=$(date +%s.%N)
  "$build/tests/cie_tests" --gtest_brief=1 2>&1 | tee "$work/tests.txt"
  tests_rc=${PIPESTATUS[0]}
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f s", b - a}')
  passed=$(grep -o '\[  PASSED  \] [0-9]*' "$work/tests.txt" | grep -o '[0-9]*$')
  skipped=$(grep -o '\[  SKIPPED \] [0-9]*' "$work/tests.txt" | grep -o '[0-9]*$')
  cuda_skips=$(grep -c 'no usable CUDA device' "$work/tests.txt")
  summary="exit $tests_rc, ${passed:-0} passed, ${skipped:-0} skipped ($cuda_skips for want of a GPU), $took"
  if ((tests_rc != 0)); then
    add_row "GoogleTest suite" - - - "FAIL: $summary"
  elif [[ "$mode" == "cuda" && "$cuda_skips" != 0 ]]; then
    add_row "GoogleTest suite" - - - "FAIL: $summary: the CUDA twins did not run"
  else
    add_row "GoogleTest suite" - - - "ok: $summary"
  fi
fi

# --- data shared by rfm and nightly: 1M customers (about 10M transactions) ---------------------
nightly_work="$work/nightly"
data="$nightly_work/1000000"
if (want rfm || want clv || want nightly) && [[ -x "$cie" && ! -f "$data/transactions.csv" ]]; then
  section "cie gen 1M customers"
  "$cie" --log-level warn gen --customers 1000000 --out "$data" >/dev/null || echo "cie gen failed"
fi

seconds_of() {  # runs "$@", prints its wall seconds on stdout (output to the log), fails with it
  local start end rc
  start=$(date +%s.%N)
  "$@" >&2
  rc=$?
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f\n", b - a}'
  return $rc
}

# --- rfm ---------------------------------------------------------------------------------------
if want rfm && have "$cie" "\`cie rfm\`"; then
  section "cie rfm, 1M customers: cpu, then $dev"
  rm -f "$work/rfm-cpu.csv" "$work/rfm-cuda.csv"
  cpu_s=$(seconds_of "$cie" --log-level warn --device cpu rfm --transactions "$data/transactions.csv" \
    --out "$work/rfm-cpu.csv") || echo "cie rfm on cpu failed"
  cuda_s=$(seconds_of "$cie" --log-level warn --device "$dev" rfm --transactions "$data/transactions.csv" \
    --out "$work/rfm-cuda.csv") || echo "cie rfm on $dev failed"
  compare "\`cie rfm\`" rfm "$cpu_s" "$cuda_s" "$work/rfm-cpu.csv" "$work/rfm-cuda.csv"
fi

# --- k-means -----------------------------------------------------------------------------------
if want kmeans && have "$drivers/kmeans_driver" "k-means"; then
  bandwidth=()
  if [[ "$mode" == "cuda" ]]; then
    section "device bandwidth"
    if have "$drivers/device_bandwidth" "device bandwidth probe" &&
       "$drivers/device_bandwidth" | tee "$work/bandwidth.json"; then
      bandwidth=("$work/bandwidth.json")
    else
      add_row "device bandwidth probe" - - - "FAIL: see the log"
    fi
  fi
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "k-means 10M x 8, k = 16, 20 iterations: $device"
    rm -f "$work/kmeans-$column.json"
    "$drivers/kmeans_driver" --synthetic 10000000 --cols 8 --k 16 --iters 20 --device "$device" \
      --warmup --passes 10 | tee "$work/kmeans-$column.json"
  done
  compare "k-means" kmeans "$work/kmeans-cpu.json" "$work/kmeans-cuda.json" "${bandwidth[@]}"
  section "k-means 10M x 8, k = 16, 20 iterations, streamed in chunks of 1M rows, 2 resident: $dev"
  rm -f "$work/kmeans-streamed.json"
  "$drivers/kmeans_driver" --synthetic 10000000 --cols 8 --k 16 --iters 20 --device "$dev" \
    --warmup --passes 10 --chunk-rows 1048576 --resident-chunks 2 | tee "$work/kmeans-streamed.json"
  compare "k-means streamed" kmeans_streamed "$work/kmeans-cuda.json" "$work/kmeans-streamed.json" \
    "${bandwidth[@]}"
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "k-means 1M x 8, k = 16, k-means++, n_init 3, tol 1e-4, Hartigan refinement: $device"
    rm -f "$work/kmeans-refined-$column.json"
    "$drivers/kmeans_driver" --synthetic 1000000 --cols 8 --k 16 --kmeans++ --n-init 3 \
      --iters 300 --tol 1e-4 --refine hartigan --device "$device" --warmup |
      tee "$work/kmeans-refined-$column.json"
  done
  compare "k-means refined" kmeans_refined "$work/kmeans-refined-cpu.json" \
    "$work/kmeans-refined-cuda.json"
fi

# --- logistic ----------------------------------------------------------------------------------
if want logistic && have "$drivers/logistic_driver" "logistic fit"; then
  for n in 1000000 10000000; do
    for column in cpu cuda; do
      device=cpu
      [[ "$column" == cpu ]] || device="$dev"
      section "logistic fit $n x 32: $device"
      rm -f "$work/logistic-$n-$column.json"
      "$drivers/logistic_driver" --synthetic "$n" --cols 32 --device "$device" --warmup \
        >"$work/logistic-$n-$column.json"
      sed -E 's/"coef":\[[^]]*\],?//' "$work/logistic-$n-$column.json"  # the log without 32 coefficients
    done
    compare "logistic fit $n" logistic "$((n / 1000000))M x 32" \
      "$work/logistic-$n-cpu.json" "$work/logistic-$n-cuda.json"
  done
fi

# --- scoring -----------------------------------------------------------------------------------
if want score && have "$drivers/score_driver" "scoring"; then
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "scoring 10M customers: $device"
    rm -f "$work/score-$column.json"
    "$drivers/score_driver" --synthetic 10000000 --device "$device" --warmup --repeat 3 \
      --prob-out "$work/score-$column.f64" --labels-out "$work/score-$column.i32" \
      | tee "$work/score-$column.json"
  done
  compare "scoring" score "$work/score-cpu.json" "$work/score-cuda.json" \
    "$work/score-cpu.f64" "$work/score-cuda.f64" "$work/score-cpu.i32" "$work/score-cuda.i32"
fi

# --- clv: the fits' log-likelihood passes ------------------------------------------------------
if want clv && have "$cie" "\`cie clv fit\`"; then
  section "cie clv fit, 1M customers: cpu, then $dev"
  summary="$work/clv-summary.csv"
  [[ -f "$summary" ]] || "$cie" --log-level warn rfm --transactions "$data/transactions.csv" \
    --time-unit weeks --returns exclude --out "$summary" >/dev/null || echo "cie rfm for clv failed"
  clv_cols=(--frequency-col repeat_frequency --recency-col repeat_recency --value-col mean_repeat_value)
  for model in bgnbd pareto-nbd; do
    spend=()
    [[ "$model" != bgnbd ]] || spend=(--spend gamma-gamma)
    for column in cpu cuda; do
      device=cpu
      [[ "$column" == cpu ]] || device="$dev"
      rm -f "$work/clv-$model-$column.json"
      seconds_of "$cie" --log-level warn --device "$device" clv fit --summary "$summary" \
        "${clv_cols[@]}" --model-type "$model" "${spend[@]}" --model "$work/clv-$model-$column.json" \
        >"$work/clv-$model-$column.s" || echo "cie clv fit $model on $device failed"
    done
    compare "\`cie clv fit\` $model" clv "$model" "$(cat "$work/clv-$model-cpu.s")" \
      "$(cat "$work/clv-$model-cuda.s")" "$work/clv-$model-cpu.json" "$work/clv-$model-cuda.json"
  done
fi

# --- offer assignment pass ---------------------------------------------------------------------
if want offers && have "$drivers/offers_driver" "offer assignment pass"; then
  offers_bandwidth=()
  if [[ "$mode" == "cuda" && -f "$work/bandwidth.json" ]]; then
    offers_bandwidth=("$work/bandwidth.json")
  elif [[ "$mode" == "cuda" ]] && have "$drivers/device_bandwidth" "device bandwidth probe" &&
       "$drivers/device_bandwidth" | tee "$work/bandwidth.json"; then
    offers_bandwidth=("$work/bandwidth.json")
  fi
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "offer assignment pass 10M x 20, pair rule, 10 passes: $device"
    rm -f "$work/offers-$column.json"
    "$drivers/offers_driver" --synthetic 10000000 --offers 20 --pairs --passes 10 \
      --device "$device" | tee "$work/offers-$column.json"
  done
  compare "offer assignment pass" offers "$work/offers-cpu.json" "$work/offers-cuda.json" \
    "${offers_bandwidth[@]}"
fi

# --- gradient-boosted trees --------------------------------------------------------------------
if want gbdt && have "$drivers/gbdt_device_driver" "gbdt"; then
  gbdt_args=(--synthetic "${GBDT_ROWS:-1000000}" --cols 32 --trees "${GBDT_TREES:-200}" --leaves 63
             --max-bin 255 --warmup)
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "gbdt ${gbdt_args[*]}: $device"
    rm -f "$work/gbdt-$column.json" "$work/gbdt-model-$column.json" "$work/gbdt-margin-$column.f64"
    "$drivers/gbdt_device_driver" "${gbdt_args[@]}" --device "$device" \
      --model-out "$work/gbdt-model-$column.json" --margin-out "$work/gbdt-margin-$column.f64" \
      | tee "$work/gbdt-$column.json"
  done
  compare "gbdt" gbdt "$work/gbdt-cpu.json" "$work/gbdt-cuda.json" "$work/gbdt-model-cpu.json" \
    "$work/gbdt-model-cuda.json" "$work/gbdt-margin-cpu.f64" "$work/gbdt-margin-cuda.f64"
fi

# --- nightly pipeline --------------------------------------------------------------------------
if want nightly && have "$cie" "nightly \`cie run\`"; then
  for column in cpu cuda; do
    device=cpu
    [[ "$column" == cpu ]] || device="$dev"
    section "nightly pipeline, 1M customers: cie --device $device run"
    rm -rf "$nightly_work/out-1000000-$column"
    WORK="$nightly_work" CIE="$cie" DEVICE="$device" TAG="$column" COMMIT="$commit" \
      OUT="$results/gpu-check-$stamp-nightly-$column.md" bash bench/nightly_scale.sh 1000000 ||
      echo "nightly_scale.sh on $device failed"
  done
  compare "nightly \`cie run\`" nightly "$nightly_work/out-1000000-cpu" "$nightly_work/out-1000000-cuda" \
    "$results/gpu-check-$stamp-nightly-cpu.md" "$results/gpu-check-$stamp-nightly-cuda.md"
fi

# --- the table ---------------------------------------------------------------------------------
{
  echo "# GPU check $(date -u +%F), commit $commit"
  echo
  gpu="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  echo "GPU: ${gpu:-none found (no nvidia-smi or no device)}."
  echo "CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Command: \`STEPS=${STEPS:-all} GPU_CHECK_DEVICE=$mode bash bench/gpu_check.sh\`; full log: $(basename "$log")."
  [[ "$mode" == "cuda" ]] || echo "TEST MODE (GPU_CHECK_DEVICE=$mode): the cuda column ran on the CPU."
  echo "ratio: cpu time / cuda time (above 1: CUDA faster)."
  echo
  echo "| check | cpu | cuda | ratio | verdict |"
  echo "|---|---|---|---|---|"
  cat "$rows"
} >"$table"
echo
cat "$table"
exec >&- 2>&-
wait "$tee_pid"  # the log complete before the exit
exit $status
