"""Task 1: ingest + RFM from a transactions CSV, cie against pandas, polars and DuckDB.

Each tool is a whole process reading the same CSV (customer_id,date,amount) and writing one row
per customer (recency, frequency, monetary, R/F/M quintile scores, segment); its wall time and
peak RSS come from /usr/bin/time -v. The quality check is bench/compare_rfm.py's: customers,
recency, frequency, R and F scores equal; monetary totals within 1e-9 relative; M scores and
segments equal except where a peer's non-correctly-rounded sum swaps near-tied customers (then
each tool's M scores must still be pandas' qcut of its own totals).
"""

import pathlib
import subprocess
import sys

from compare_harness.common import (ROOT, add_ratios, install_error, median, rounds, row,
                                    timed_process)

sys.path.insert(0, str(ROOT / "bench"))
import compare_rfm  # noqa: E402  (bench/compare_rfm.py: its quality check)

SEGMENTS = ROOT / "datasets" / "rfm_segments_5.toml"
PEER_SCRIPTS = {"pandas": "rfm_pandas_peer.py", "polars": "rfm_polars_peer.py",
                "duckdb": "rfm_duckdb_peer.py"}


def generate(cie, customers, work):
    data = work / f"rfm{customers}"
    if not (data / "transactions.csv").exists():
        subprocess.run([cie, "--log-level", "warn", "gen", "--customers", str(customers),
                        "--seed", "1", "--out", str(data)], check=True, capture_output=True)
    path = data / "transactions.csv"
    with open(path, "rb") as f:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return path, rows


def run(args, work):
    rows_out = []
    for customers in args.rfm_customers:
        transactions, n_rows = generate(args.cie, customers, work)
        case = f"{n_rows:,} transactions, {customers:,} customers"
        outputs = {"cie": work / "rfm-cie.csv"}
        tools = {"cie": lambda: timed_process(
            # --ties first: the peers implement pandas' positional qcut(rank(method="first")).
            [args.cie, "--log-level", "warn", "rfm", "--transactions", str(transactions),
             "--ties", "first", "--out", str(outputs["cie"])])}
        errors = {}
        for peer, script in PEER_SCRIPTS.items():
            reason = install_error(peer)
            if reason:
                errors[peer] = f"error: {reason}"
                continue
            outputs[peer] = work / f"rfm-{peer}.csv"
            tools[peer] = (lambda script=script, out=outputs[peer]: timed_process(
                [sys.executable, str(ROOT / "bench" / script), str(transactions), str(out),
                 str(SEGMENTS)]))
        results, run_errors = rounds(tools, args.repeats)
        errors.update(run_errors)
        if "cie" in errors:
            rows_out.append(row("rfm", case, "cie", "wall s", None, "s", status=errors["cie"]))
            continue
        for tool in ["cie", *PEER_SCRIPTS]:
            if tool in errors:
                rows_out.append(row("rfm", case, tool, "wall s", None, "s", status=errors[tool]))
                continue
            check = "reference" if tool == "cie" else compare_rfm.quality(
                outputs["cie"], outputs[tool], peer=tool)
            status = check if check.startswith("MISMATCH") else "ok"
            seconds = median([t for t, _ in results[tool]])
            rows_out.append(row("rfm", case, tool, "wall s", seconds if status == "ok" else None,
                                "s", quality=check, status=status,
                                rows_per_second=n_rows / seconds,
                                peak_rss_mib=max(r for _, r in results[tool]),
                                runs=[t for t, _ in results[tool]]))
        for path in outputs.values():
            pathlib.Path(path).unlink(missing_ok=True)
        print(f"rfm {case}: done", flush=True)
    return add_ratios(rows_out)
