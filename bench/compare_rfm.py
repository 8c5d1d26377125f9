"""Ingest + RFM: `cie rfm` against pandas on the same generated transactions, in one run.

For each size it generates customers with `cie gen` (about 10 transactions each), then runs cie
and the pandas peer alternately, REPEATS times each, under /usr/bin/time -v, and reports median
wall time, rows/s and peak RSS with the ratio. Quality check: both outputs must give every
customer the same R, F and M scores and segment, and monetary totals equal to 1e-9 relative; a
mismatch is reported as such, never as a speed.

  .venv/bin/python bench/compare_rfm.py --cie build/cie --customers 100000 1000000 \
      --out bench/results/rfm-vs-pandas.md
"""

import argparse
import datetime
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile

import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]


def timed(command):
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return seconds, rss_kib / 1024.0


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {cpu}"


def quality(cie_out, peer_out, peer="pandas"):
    """'equal', 'equal up to summation: ...', or 'MISMATCH: ...'.

    pandas' groupby sum is not correctly rounded (cie's compensated sums are; so are neither
    polars' nor DuckDB's), so two customers whose totals are equal or nearly so can swap rank
    order. Such differences are accepted only when the monetary totals agree to 1e-9 relative,
    pandas' own qcut recipe applied to cie's totals reproduces cie's M scores exactly, the same
    recipe applied to the peer's totals reproduces the peer's M scores, and segments differ only
    where M scores do.
    """
    ours = pd.read_csv(cie_out, dtype={"customer_id": str}, keep_default_na=False,
                       float_precision="round_trip")
    theirs = pd.read_csv(peer_out, dtype={"customer_id": str}, keep_default_na=False,
                         float_precision="round_trip")
    if len(ours) != len(theirs) or not (ours["customer_id"].to_numpy() == theirs["customer_id"].to_numpy()).all():
        return "MISMATCH: customers differ"
    for column in ("recency_days", "frequency", "r_score", "f_score"):
        if not (ours[column].to_numpy() == theirs[column].to_numpy()).all():
            return f"MISMATCH: {column} differs"
    relative = ((ours["monetary_total"] - theirs["monetary_total"]).abs()
                / theirs["monetary_total"].abs().clip(lower=1.0)).max()
    if relative > 1e-9:
        return f"MISMATCH: monetary differs by {relative:.2e} relative"
    for name, frame in (("cie", ours), (peer, theirs)):
        qcut_m = pd.qcut(frame["monetary_total"].rank(method="first"), 5, labels=False) + 1
        if not (qcut_m.to_numpy() == frame["m_score"].to_numpy()).all():
            return f"MISMATCH: {name}'s m_score is not pandas' qcut of its own totals"
    m_differs = (ours["m_score"] != theirs["m_score"]).to_numpy()
    segment_differs = (ours["segment"] != theirs["segment"]).to_numpy()
    if (segment_differs & ~m_differs).any():
        return "MISMATCH: segment differs where the scores agree"
    sums_differ = int((ours["monetary_total"] != theirs["monetary_total"]).sum())
    m_differ, segment_differ = int(m_differs.sum()), int(segment_differs.sum())
    if m_differ == 0 and segment_differ == 0:
        return f"equal ({sums_differ} {peer} sums off in the last bits)" if sums_differ else "equal"
    return (f"equal up to summation: {peer} sums are off in the last bits for {sums_differ} "
            f"customers, which moves {m_differ} M scores and {segment_differ} segments")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    lines = [f"# Ingest + RFM: cie vs pandas {pd.__version__}", "",
             f"- machine: {machine()}", f"- date: {datetime.date.today()}", f"- commit: {commit}",
             f"- command: `{' '.join(sys.argv)}`", f"- median of {args.repeats} alternating runs each; "
             "wall time and peak RSS from /usr/bin/time -v; whole process (read CSV, RFM, scores, "
             "segments, write CSV)", "",
             "| transactions | customers | cie s | pandas s | pandas/cie | cie rows/s | cie RSS MiB | pandas RSS MiB | check |",
             "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(dir=ROOT / "out" if (ROOT / "out").exists() else None) as tmp:
        work = pathlib.Path(tmp)
        for customers in args.customers:
            data = work / f"gen{customers}"
            subprocess.run([args.cie, "--log-level", "warn", "gen", "--customers", str(customers),
                            "--seed", "1", "--out", str(data)], check=True, capture_output=True)
            transactions = data / "transactions.csv"
            rows = sum(1 for _ in open(transactions)) - 1
            cie_runs, peer_runs = [], []
            for _ in range(args.repeats):
                # --ties first: the peer implements pandas' positional qcut(rank(method="first")).
                cie_runs.append(timed([args.cie, "--log-level", "warn", "rfm", "--transactions",
                                       str(transactions), "--ties", "first",
                                       "--out", str(work / "cie.csv")]))
                peer_runs.append(timed([sys.executable, str(ROOT / "bench" / "rfm_pandas_peer.py"),
                                        str(transactions), str(work / "peer.csv"),
                                        str(ROOT / "datasets" / "rfm_segments_5.toml")]))
            check = quality(work / "cie.csv", work / "peer.csv")
            cie_s = statistics.median(t for t, _ in cie_runs)
            peer_s = statistics.median(t for t, _ in peer_runs)
            cie_rss = max(r for _, r in cie_runs)
            peer_rss = max(r for _, r in peer_runs)
            speed = f"{peer_s / cie_s:.1f}x" if not check.startswith("MISMATCH") else "n/a (check failed)"
            lines.append(f"| {rows:,} | {customers:,} | {cie_s:.2f} | {peer_s:.2f} | {speed} | "
                         f"{rows / cie_s / 1e6:.1f}M | {cie_rss:.0f} | {peer_rss:.0f} | {check} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
