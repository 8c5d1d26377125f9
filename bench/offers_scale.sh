#!/usr/bin/env bash
# `cie offers assign` end to end (read, policy, optimise, write) on bench/offers_data.py's
# synthetic customers: wall time, peak RSS, dual iterations, passes and time per pass against the
# memory-bandwidth floor (bytes one pass moves / the machine's memcpy bandwidth, measured here
# with numpy on 1 GiB). Writes bench/results/offers-scale-<machine>-<date>.md.
#
#   CIE=build/cie bash bench/offers_scale.sh 1000000 10000000     # customer counts (20 offers)
set -euo pipefail
cie=${CIE:-build/cie}
python=${PYTHON:-.venv/bin/python}
work=${WORK:-/tmp/cie-offers-bench}
offers=${OFFERS:-20}
out=bench/results/offers-scale-$(hostname -s)-$(date -u +%F).md
copy_gbs=$("$python" - <<'PY'
import time, numpy as np
a = np.ones(1 << 28, dtype=np.float32); b = np.empty_like(a)
best = min((lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter())
           for _ in range(5))
print(f"{2 * a.nbytes / best / 1e9:.2f}")
PY
)
{
  echo "# cie offers assign at scale ($(hostname -s), $(date -u '+%F %H:%M') UTC, commit $(git rev-parse --short HEAD 2>/dev/null || echo ?))"
  echo
  echo "$(nproc) cores, load average at start $(cut -d' ' -f1 /proc/loadavg); memcpy bandwidth (numpy, read + write) ${copy_gbs} GB/s; ${offers} offers."
  echo
  echo "| customers | wall s | read s | policy s | optimise s | write s | peak RSS GiB | contacts | gap | dual iterations | passes | s per pass | floor s per pass |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$out"
for n in "$@"; do
  dir=$work/$n
  [ -f "$dir/offers.toml" ] || "$python" bench/offers_data.py --customers "$n" --offers "$offers" --out "$dir"
  /usr/bin/time -v "$cie" --log-level warn offers assign --customers "$dir/customers.csv" \
      --catalog "$dir/offers.toml" --history "$dir/contacts.csv" --as-of 2026-03-31 \
      --out "$dir/assignments.csv" --summary "$dir/summary.json" > "$dir/stdout.txt" 2> "$dir/time.txt"
  "$python" - "$dir" "$n" "$copy_gbs" >> "$out" <<'PY'
import json, re, sys
d, n, gbs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = json.load(open(f"{d}/summary.json"))
t = open(f"{d}/time.txt").read()
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split()[0].split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 2 ** 20
sec = s["seconds"]
print(f"| {n:,} | {wall:.1f} | {sec['read']:.1f} | {sec['policy']:.1f} | {sec['optimise']:.1f} | "
      f"{sec['write']:.1f} | {rss:.2f} | {s['contacts']:,} | {100 * s['gap']:.4f}% | "
      f"{s['dual_iterations']} | {s['passes']} | {s['pass_seconds'] / s['passes']:.3f} | "
      f"{s['pass_bytes'] / (gbs * 1e9):.3f} |")
PY
done
cat "$out"
