"""K-means: cie against scikit-learn and faiss on the same data and initial centroids, in one run.

Speed: Gaussian blobs (ROWS x 8 by default, k 8/16/32), written as float32 files; each tool runs
ITERS Lloyd iterations from the same initial centroids (tol 0), in REPEATS rounds of one run per
tool, and the median fit time per iteration is reported with the inertia of the final centroids
and the ratios against cie. scikit-learn stops early when no label changes; time per iteration divides by the
iterations it actually ran. faiss is told not to subsample (max_points_per_centroid).

Quality: the wholesale customers data (6 spending columns, log1p then z-score), k = 2..8,
k-means++ with n_init 10, max_iter 300, tol 1e-4, fitted with each of the seeds
0 .. QUALITY_SEEDS-1 by both tools; cie also with Lloyd alone (--refine none), for the record.
The check (exit 1 otherwise): for every k, cie's lowest inertia over the seeds and its median
over the seeds of the best-of-10 inertia are no worse than scikit-learn's (within 1e-6:
scikit-learn sums its inertia in float32). One seed alone is a draw from a wide distribution
(many local minima), so the table also counts the seeds on which cie is no worse.

  .venv/bin/python bench/compare_kmeans.py --driver build/bench/kmeans_driver

All three tools use OpenMP (libgomp), whose threads spin at barriers by default. On a machine
whose cores other processes share, a spinning thread takes the core its descheduled sibling
needs; OMP_WAIT_POLICY=passive (inherited by all three) makes them sleep instead. The header
line says which policy a table was measured with.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import faiss
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from compare_harness.kmeans import blobs  # the harness's data, one definition

ROOT = pathlib.Path(__file__).resolve().parents[1]
WHOLESALE = ROOT.parent / "shared/datasets/real/wholesale-customers/wholesale_customers_data.csv"
SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def write_column_major(x, path):
    np.ascontiguousarray(x.T, dtype="<f4").tofile(path)


def run_cie(driver, x, data_path, k, extra, threads):
    command = [driver, "--data", data_path, "--rows", str(x.shape[0]), "--cols", str(x.shape[1]),
               "--k", str(k), "--threads", str(threads), *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kmeans_driver failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)


def inertia_of(x, centroids):
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    distances, _ = index.search(x, 1)
    return float(distances.astype(np.float64).sum())


def speed(args, tmp):
    rows = []
    x = blobs(args.rows, 8, 32, args.seed)
    data_path = os.path.join(tmp, "x.f32")
    write_column_major(x, data_path)
    rng = np.random.default_rng(args.seed + 1)
    for k in args.k:
        init = np.ascontiguousarray(x[rng.choice(x.shape[0], k, replace=False)])
        init_path = os.path.join(tmp, f"init{k}.f32")
        init.astype("<f4").tofile(init_path)
        # One run of each tool per round, so a burst of load from other processes falls on all
        # three rather than on one tool's whole series.
        cie_runs, sk_times, fa_times = [], [], []
        for _ in range(args.repeats):
            cie_runs.append(run_cie(args.driver, x, data_path, k,
                                    ["--init", init_path, "--iters", str(args.iters),
                                     "--refine", "none"],
                                    args.threads))

            model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=args.iters, tol=0,
                           algorithm="lloyd")
            start = time.perf_counter()
            model.fit(x)
            sk_iters = model.n_iter_
            sk_times.append((time.perf_counter() - start) / model.n_iter_)

            km = faiss.Kmeans(8, k, niter=args.iters, max_points_per_centroid=10**9,
                              min_points_per_centroid=1, seed=args.seed)
            start = time.perf_counter()
            km.train(x, init_centroids=init)
            fa_times.append((time.perf_counter() - start) / args.iters)
        cie_per_iter = statistics.median(r["seconds_per_iter"] for r in cie_runs)
        sk_inertia = float(model.inertia_)
        fa_inertia = inertia_of(x, km.centroids)

        sk_per_iter, fa_per_iter = statistics.median(sk_times), statistics.median(fa_times)
        rows.append((k, cie_per_iter, cie_runs[0]["inertia"], cie_runs[0]["iterations"],
                     sk_per_iter, sk_inertia, sk_iters, fa_per_iter, fa_inertia))
    print(f"\n## Lloyd iterations, {args.rows} x 8, {args.iters} iterations from the same "
          f"centroids, {args.threads or os.cpu_count()} threads (median of {args.repeats})\n")
    print("| k | cie ms/iter | sklearn ms/iter | faiss ms/iter | sklearn/cie | faiss/cie "
          "| cie inertia | sklearn inertia | faiss inertia | iterations cie/sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k, c, ci, cn, s, si, sn, f, fi in rows:
        print(f"| {k} | {c * 1e3:.2f} | {s * 1e3:.2f} | {f * 1e3:.2f} | {s / c:.2f}x | {f / c:.2f}x "
              f"| {ci:.6g} | {si:.6g} | {fi:.6g} | {cn}/{sn} |")


def quality(args, tmp):
    frame = pd.read_csv(WHOLESALE)
    x = np.log1p(frame[SPENDING].to_numpy(dtype=np.float64))
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32)
    data_path = os.path.join(tmp, "wholesale.f32")
    write_column_major(x, data_path)
    seeds = range(args.quality_seeds)
    print(f"\n## Wholesale customers ({x.shape[0]} x 6, log1p + z-score), k-means++, n_init 10, "
          f"max_iter 300, tol 1e-4, seeds 0..{len(seeds) - 1}\n")
    print("cie: its default (Lloyd, then Hartigan refinement) and Lloyd alone (`--refine none`, "
          "scikit-learn's algorithm). Best: the lowest inertia over the seeds; median: over the "
          "seeds of each seed's best-of-10; seeds no worse: cie's default against scikit-learn "
          "with the same seed number.\n")
    print("| k | cie best | cie Lloyd-only best | sklearn best | cie median | cie Lloyd-only median "
          "| sklearn median | seeds no worse | seed 0: cie | seed 0: sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = []
    for k in range(2, 9):
        cie, lloyd, sk = [], [], []
        for seed in seeds:
            common = ["--kmeans++", "--n-init", "10", "--iters", "300", "--tol", "1e-4",
                      "--seed", str(seed)]
            cie.append(run_cie(args.driver, x, data_path, k, [*common, "--refine", "hartigan"],
                               args.threads)["inertia"])
            lloyd.append(run_cie(args.driver, x, data_path, k, [*common, "--refine", "none"],
                                 args.threads)["inertia"])
            sk.append(float(KMeans(n_clusters=k, init="k-means++", n_init=10, max_iter=300,
                                   tol=1e-4, algorithm="lloyd", random_state=seed).fit(x).inertia_))
        # scikit-learn sums its inertia in float32: equal minima may differ in the 7th digit.
        no_worse = sum(c <= s * (1 + 1e-6) for c, s in zip(cie, sk))
        print(f"| {k} | {min(cie):.4f} | {min(lloyd):.4f} | {min(sk):.4f} "
              f"| {statistics.median(cie):.4f} | {statistics.median(lloyd):.4f} "
              f"| {statistics.median(sk):.4f} | {no_worse}/{len(cie)} | {cie[0]:.4f} "
              f"| {sk[0]:.4f} |")
        if min(cie) > min(sk) * (1 + 1e-6):
            failures.append(f"k = {k}: cie's best {min(cie):.4f} > scikit-learn's {min(sk):.4f}")
        if statistics.median(cie) > statistics.median(sk) * (1 + 1e-6):
            failures.append(f"k = {k}: cie's median {statistics.median(cie):.4f} > "
                            f"scikit-learn's {statistics.median(sk):.4f}")
    if failures:
        print("\nFAIL: " + "; ".join(failures))
    else:
        print("\nOK: for every k, cie's best and median best-of-10 inertia are no worse than "
              "scikit-learn's")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--driver", default=str(ROOT / "build/bench/kmeans_driver"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="cie threads; 0 = all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality-seeds", type=int, default=10,
                        help="seeds per k in the quality check")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    print(f"scikit-learn {__import__('sklearn').__version__}, faiss {faiss.__version__}, "
          f"{os.cpu_count()} CPUs, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_speed:
            speed(args, tmp)
        ok = args.skip_quality or quality(args, tmp)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
