"""bench/compare: cie against its peers on the same data in one run (see bench/compare).

  bench/.venv-compare/bin/python -m compare_harness [--repeats 3] [--rfm-100m] ...

Runs the tasks (rfm, kmeans, logistic, scoring), each tool once per round, and writes the
table as markdown and the same figures as JSON to bench/results/compare-<machine>-<date>.{md,json}.
"""

import argparse
import datetime
import json
import os
import pathlib
import sys
import tempfile
import time
import traceback

import numpy as np

from compare_harness import kmeans, logistic, report, rfm, scoring
from compare_harness.common import ROOT, machine_facts, peer_versions, row

TASKS = ["rfm", "kmeans", "logistic", "scoring"]


def parse_args():
    parser = argparse.ArgumentParser(prog="bench/compare", description=__doc__.split("\n")[0])
    build = ROOT / "build"
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=TASKS)
    parser.add_argument("--repeats", type=int, default=3, help="rounds per case (medians)")
    parser.add_argument("--threads", type=int, default=0, help="cie threads; 0 = all cores")
    parser.add_argument("--seed", type=int, default=0, help="k-means data and initial centroids")
    parser.add_argument("--cie", default=str(build / "cie"))
    parser.add_argument("--kmeans-driver", default=str(build / "bench/kmeans_driver"))
    parser.add_argument("--logistic-driver", default=str(build / "bench/logistic_driver"))
    parser.add_argument("--score-driver", default=str(build / "bench/score_driver"))
    parser.add_argument("--rfm-customers", type=int, nargs="+", default=[1_000_000],
                        help="customers generated (about 10 transactions each)")
    parser.add_argument("--rfm-100m", action="store_true",
                        help="also 10M customers (about 100M transactions, a 2.5 GB CSV; "
                             "pandas needs about 10 GiB)")
    parser.add_argument("--kmeans-rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--kmeans-k", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--kmeans-iters", type=int, default=20, help="iterations up to 1M rows")
    parser.add_argument("--kmeans-iters-large", type=int, default=10,
                        help="iterations above 1M rows")
    parser.add_argument("--kmeans-inertia-tolerance", type=float, default=1e-4)
    parser.add_argument("--logistic-rows", type=int, default=1_000_000)
    parser.add_argument("--logistic-seed", type=int, default=7)
    parser.add_argument("--score-rows", type=int, default=10_000_000)
    parser.add_argument("--score-k", type=int, default=16, help="k of the k-means model scored")
    parser.add_argument("--machine", default=f"cpu{os.cpu_count()}",
                        help="machine name in the file names")
    parser.add_argument("--out-dir", type=pathlib.Path, default=ROOT / "bench/results")
    parser.add_argument("--note", default="", help="a line for the report, e.g. the load")
    args = parser.parse_args()
    if args.rfm_100m and 10_000_000 not in args.rfm_customers:
        args.rfm_customers.append(10_000_000)
    return args


def guarded(task, function, *arguments):
    """Runs a task; a harness failure becomes an error row instead of ending the run."""
    started = time.perf_counter()
    try:
        result = function(*arguments)
    except Exception as error:
        traceback.print_exc()
        result = [row(task, "all", "harness", "", None, "",
                      status=f"error: {type(error).__name__}: {str(error)[:200]}")]
    print(f"{task}: {time.perf_counter() - started:.0f} s", flush=True)
    return result, time.perf_counter() - started


def main():
    args = parse_args()
    started = time.perf_counter()
    facts = machine_facts()
    versions = peer_versions()
    print(f"machine: {facts}\npeers: {versions}", flush=True)
    rows, task_seconds = [], {}
    work_root = ROOT / "out" if (ROOT / "out").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="compare-", dir=work_root) as tmp:
        work = pathlib.Path(tmp)
        coef, centroids, centroids_from = None, None, None
        if "rfm" in args.tasks:
            result, task_seconds["rfm"] = guarded("rfm", rfm.run, args, work)
            rows += result
        if "kmeans" in args.tasks:
            result, task_seconds["kmeans"] = guarded("kmeans", kmeans.run, args, work)
            if isinstance(result, tuple):
                result, state = result
                centroids, centroids_from = state.get("centroids"), state.get("centroids_from")
            rows += result
        if "logistic" in args.tasks:
            result, task_seconds["logistic"] = guarded("logistic", logistic.run, args, work)
            if isinstance(result, tuple):
                result, state = result
                coef = state.get("coef")
            rows += result
        if "scoring" in args.tasks:
            model_from = "cie's fit in the logistic task"
            if coef is None:
                coef = np.append(0.5 * np.sin(np.arange(1, 33)), -1.0)
                model_from = "the generating model (the logistic task did not run)"
            if centroids is None:
                centroids = kmeans.blobs(args.score_k, 8, 32, args.seed + 2)
                centroids_from = f"{args.score_k} random blob points (the k-means task did not run)"
            result, task_seconds["scoring"] = guarded(
                "scoring", scoring.run, args, work, coef, centroids, centroids_from)
            if isinstance(result, tuple):
                result = result[0]
            rows += result
            facts["scoring_models"] = f"logistic: {model_from}; k-means: {centroids_from}"
    facts["load_average_end"] = os.getloadavg()
    wall = time.perf_counter() - started
    settings = {key: (str(value) if isinstance(value, pathlib.Path) else value)
                for key, value in vars(args).items()}
    document = {"machine": facts, "peers": versions, "settings": settings,
                "command": "bench/compare " + " ".join(sys.argv[1:]), "wall_seconds": wall,
                "task_seconds": task_seconds, "rows": rows}
    date = datetime.date.today().isoformat()
    stem = args.out_dir / f"compare-{args.machine}-{date}"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    text = report.markdown(document, args)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(document, indent=1, default=float) + "\n")
    print(text)
    print(f"wrote {stem}.md and .json ({wall / 60:.1f} min)")
    bad = [r for r in rows if r["status"] != "ok"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
