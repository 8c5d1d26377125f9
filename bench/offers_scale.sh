#!/usr/bin/env bash
# `cie offers assign` end to end (read, policy, optimise, write) on bench/offers_data.py's
# synthetic customers, on 1 and 2 threads (OMP_WAIT_POLICY=passive): wall time, CPU time
# (user + sys, /usr/bin/time -v) and both per phase (the summary's seconds and cpu_seconds),
# peak RSS, dual iterations, passes, wall and CPU time per pass against the memory-bandwidth
# floor (bytes one pass moves / the machine's memcpy bandwidth, measured here with numpy on
# 1 GiB), and the load average beside each run. Writes bench/results/offers-scale-<machine>-<date>.md.
#
#   CIE=build/cie bash bench/offers_scale.sh 1000000 10000000     # customer counts (20 offers)
#   THREADS="2" CIE=build/cie bash bench/offers_scale.sh 10000000   # only 2 threads
set -euo pipefail
cie=${CIE:-build/cie}
python=${PYTHON:-.venv/bin/python}
work=${WORK:-/tmp/cie-offers-bench}
offers=${OFFERS:-20}
threads_list=${THREADS:-1 2}
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
  echo "$(nproc) cores; memcpy bandwidth (numpy, read + write) ${copy_gbs} GB/s; ${offers} offers; OMP_WAIT_POLICY=passive."
  echo "Per phase: wall s / CPU s (user + sys of all threads). Load: the 1-minute load average before and after the run."
  echo
  echo "| customers | threads | load | wall s | CPU s | read | policy | optimise | write | peak RSS GiB | contacts | gap | dual iterations | passes | s per pass (wall / CPU) | floor s per pass |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$out"
for n in "$@"; do
  dir=$work/$n
  [ -f "$dir/offers.toml" ] || "$python" bench/offers_data.py --customers "$n" --offers "$offers" --out "$dir"
  for threads in $threads_list; do
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive /usr/bin/time -v "$cie" --threads "$threads" \
        --log-level warn offers assign --customers "$dir/customers.csv" \
        --catalog "$dir/offers.toml" --history "$dir/contacts.csv" --as-of 2026-03-31 \
        --out "$dir/assignments.csv" --summary "$dir/summary.json" > "$dir/stdout.txt" 2> "$dir/time.txt"
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    "$python" - "$dir" "$n" "$copy_gbs" "$threads" "$load_before" "$load_after" >> "$out" <<'PY'
import json, re, sys
d, n, gbs, threads, before, after = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:]
s = json.load(open(f"{d}/summary.json"))
t = open(f"{d}/time.txt").read()
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split()[0].split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 2 ** 20
sec, cpus = s["seconds"], s["cpu_seconds"]
phase = lambda p: f"{sec[p]:.1f} / {cpus[p]:.1f}"
p = s["passes"]
print(f"| {n:,} | {threads} | {before} → {after} | {wall:.1f} | {cpu:.1f} | {phase('read')} | "
      f"{phase('policy')} | {phase('optimise')} | {phase('write')} | {rss:.2f} | "
      f"{s['contacts']:,} | {100 * s['gap']:.4f}% | {s['dual_iterations']} | {p} | "
      f"{s['pass_seconds'] / p:.3f} / {s['pass_cpu_seconds'] / p:.3f} | "
      f"{s['pass_bytes'] / (gbs * 1e9):.3f} |")
PY
  done
done
cat "$out"
