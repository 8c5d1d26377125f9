#!/usr/bin/env bash
# The nightly pipeline at scale: generates customers with `cie gen` (about 10 transaction rows
# each), trains the models once on the smallest size (k-means k = 6 on RFM, a response model on
# RFM + attributes), then runs `cie run` per size with a memory_limit, and records wall time per
# stage (from the run report) and the process peak RSS (/usr/bin/time) in a markdown table.
#
#   bash bench/nightly_scale.sh [SIZES...]          default: 1000000 10000000
#   CIE=build/cie MEMORY_LIMIT=4GiB WORK=/tmp/cie-scale OUT=bench/results/nightly-scale-<machine>-<date>.md
#   DEVICE=cpu|cuda|auto: passed to `cie run` as the global --device (unset: cie's default); the
#   run then writes to $WORK/out-<size>-<TAG> (TAG defaults to DEVICE), so a cpu and a cuda run
#   can share WORK (data and models, trained once with cie's default device, are reused) and be
#   compared (bench/gpu_check.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000000 10000000}")
[[ $# -gt 0 ]] || sizes=(1000000 10000000)
work="${WORK:-/tmp/cie-scale}"
limit="${MEMORY_LIMIT:-4GiB}"
out="${OUT:-bench/results/nightly-scale-$(hostname -s)-$(date +%F).md}"
cie="$(realpath "${CIE:-build/cie}")"
device_args=()
[[ -z "${DEVICE:-}" ]] || device_args=(--device "$DEVICE")
tag="${TAG:-${DEVICE:-}}"
# GNU time for the peak RSS when there is one (the GPU machines may lack it): TIME_BIN overrides.
time_bin="${TIME_BIN:-/usr/bin/time}"
[[ -x "$time_bin" ]] || time_bin=""
mkdir -p "$work"

for n in "${sizes[@]}"; do
  [[ -f "$work/$n/transactions.csv" ]] || "$cie" --log-level warn gen --customers "$n" --out "$work/$n"
done
first="${sizes[0]}"
if [[ ! -f "$work/models/response.json" ]]; then
  mkdir -p "$work/models"
  "$cie" --log-level warn rfm --transactions "$work/$first/transactions.csv" --as-of 2026-01-01 \
    --out "$work/models/rfm.csv" >/dev/null
  "$cie" --log-level warn segment fit --input "$work/models/rfm.csv" --k 6 \
    --model "$work/models/segments.json" >/dev/null
  "$cie" --log-level warn propensity train --table "$work/$first/campaign.csv" \
    --table "$work/$first/customers.csv" --table "$work/models/rfm.csv" --target responded \
    --features recency_days,frequency,monetary_total,age,region,channel,email_opt_in \
    --transforms recency_days=log1p,frequency=log1p,monetary_total=floor:0+log1p \
    --model "$work/models/response.json" >/dev/null
fi

{
  echo "# Nightly pipeline at scale, $(hostname -s 2>/dev/null || uname -n), $(date +%F)${DEVICE:+, --device $DEVICE}"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); commit ${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}$(git diff --quiet 2>/dev/null || echo ' (dirty tree or no git)')."
  echo "Command: \`bash bench/nightly_scale.sh ${sizes[*]}\` (memory_limit $limit; models trained on the $first-customer set)."
  echo "Load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| customers | transactions | stage seconds (read, rfm, attributes, segments, score, write) | total s | peak RSS | memory_limit |"
  echo "|---|---|---|---|---|---|"
} >"$out"
for n in "${sizes[@]}"; do
  run_out="$work/out-$n${tag:+-$tag}"
  config="$work/nightly-$n${tag:+-$tag}.toml"
  cat >"$config" <<TOML
[run]
as_of = "2026-01-01"
memory_limit = "$limit"
[inputs]
transactions = "$work/$n/transactions.csv"
attributes = "$work/$n/customers.csv"
[segments]
model = "$work/models/segments.json"
[[propensity]]
name = "response"
model = "$work/models/response.json"
[output]
directory = "$run_out"
TOML
  start=$(date +%s.%N)
  if [[ -n "$time_bin" ]]; then
    "$time_bin" -v "$cie" --log-level warn "${device_args[@]}" run "$config" \
      >/dev/null 2>"$work/time-$n${tag:+-$tag}.txt"
  else
    "$cie" --log-level warn "${device_args[@]}" run "$config" >/dev/null 2>"$work/time-$n${tag:+-$tag}.txt"
  fi
  end=$(date +%s.%N)
  rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time-$n${tag:+-$tag}.txt")
  python3 - "$run_out/run_report.json" "$n" "$rss_kib" "$limit" "$start" "$end" >>"$out" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
stages = ", ".join(f"{s['seconds']:.2f}" for s in report["stages"])
rows = report["inputs"]["transactions"]["rows"]
rss = f"{int(sys.argv[3]) / 1048576:.2f} GiB" if sys.argv[3] else "(no GNU time)"
print(f"| {int(sys.argv[2]):,} | {rows:,} | {stages} | {float(sys.argv[6]) - float(sys.argv[5]):.1f} "
      f"| {rss} | {sys.argv[4]} |")
PY
done
cat "$out"
