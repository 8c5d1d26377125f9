"""`cie segment fit` against scikit-learn's KMeans on the UCI wholesale customers data.

The six spending columns, log1p then z-scored (cie: --transforms COL=log1p, its default
z-score; scikit-learn: numpy with the population standard deviation), k = 2..8, k-means++,
n_init 10, max_iter 300, tol 1e-4, seeds 0..9 (cie --seed S, scikit-learn random_state=S).
Checks:
  * cie's model reproduces its own inertia: the squared distances from the numpy-standardized
    rows to the model's centroids, each row to its assigned cluster, sum to the inertia cie
    reports (so both tools minimize the same objective on the same matrix), and each row's
    assigned centroid is its nearest.
  * Quality, per k: cie's lowest inertia over the seeds is no worse than scikit-learn's, and so
    is its median over the seeds of the best-of-10 inertia (within 1e-6 relative: scikit-learn
    sums its inertia in float32). cie runs Lloyd then Hartigan refinement (its default);
    scikit-learn runs Lloyd.
  * `--refine none` gives plain Lloyd: no customer moved, inertia no lower than the default's
    from the same seed.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
SEEDS = range(10)
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_fit(cie, table, k, seed, model, *extra):
    command = [cie, "--log-level", "warn", "--seed", str(seed), "segment", "fit", "--input",
               str(table), "--id-col", "customer_id", "--features", ",".join(SPENDING),
               "--transforms", ",".join(f"{name}=log1p" for name in SPENDING), "--k", str(k),
               "--n-init", "10", "--max-iter", "300", "--tol", "1e-4", "--model", str(model),
               *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return json.loads(model.read_text())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    frame = pd.read_csv(args.data / "wholesale-customers/wholesale_customers_data.csv")
    x = np.log1p(frame[SPENDING].to_numpy(dtype=np.float64))
    x = (x - x.mean(axis=0)) / x.std(axis=0)

    with tempfile.TemporaryDirectory() as directory:
        tmp = pathlib.Path(directory)
        table = tmp / "wholesale.csv"
        frame.insert(0, "customer_id", range(1, len(frame) + 1))
        frame.to_csv(table, index=False)
        model_path = tmp / "model.json"

        # The objective: cie's inertia from its centroids and the numpy matrix.
        model = cie_fit(args.cie, table, 5, 0, model_path, "--out", str(tmp / "assign.csv"))
        centroids = np.array(model["fitted"]["centroids"], dtype=np.float64)
        labels = pd.read_csv(tmp / "assign.csv")["cluster"].to_numpy()
        distances = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        inertia = distances[np.arange(len(x)), labels].sum()
        reported = model["training_metrics"]["inertia"]
        check(abs(inertia - reported) <= 1e-5 * reported,
              f"k = 5: inertia from the model's centroids {inertia:.6f} equals cie's {reported:.6f}")
        check(bool((distances.argmin(axis=1) == labels).all()),
              "k = 5: every customer is assigned to its nearest centroid")

        print("k | cie best | sklearn best | cie median | sklearn median | seeds cie <= sklearn")
        for k in range(2, 9):
            cie, sk = [], []
            for seed in SEEDS:
                cie.append(cie_fit(args.cie, table, k, seed, model_path)["training_metrics"]["inertia"])
                sk.append(float(KMeans(n_clusters=k, init="k-means++", n_init=10, max_iter=300,
                                       tol=1e-4, algorithm="lloyd",
                                       random_state=seed).fit(x).inertia_))
            no_worse = sum(c <= s * (1 + 1e-6) for c, s in zip(cie, sk))
            print(f"{k} | {min(cie):.4f} | {min(sk):.4f} | {statistics.median(cie):.4f} | "
                  f"{statistics.median(sk):.4f} | {no_worse}/{len(cie)}")
            check(min(cie) <= min(sk) * (1 + 1e-6),
                  f"k = {k}: cie's best inertia {min(cie):.4f} <= scikit-learn's {min(sk):.4f}")
            check(statistics.median(cie) <= statistics.median(sk) * (1 + 1e-6),
                  f"k = {k}: cie's median best-of-10 {statistics.median(cie):.4f} <= "
                  f"scikit-learn's {statistics.median(sk):.4f}")

        lloyd = cie_fit(args.cie, table, 8, 0, model_path, "--refine", "none")
        refined = cie_fit(args.cie, table, 8, 0, model_path)
        check(lloyd["params"]["refine"] == "none" and lloyd["training_metrics"]["refine_moves"] == 0,
              "--refine none moves no customer")
        check(refined["training_metrics"]["refine_moves"] > 0 and
              refined["training_metrics"]["inertia"] <= lloyd["training_metrics"]["inertia"],
              f"k = 8, seed 0: refinement moved {refined['training_metrics']['refine_moves']} "
              f"customers, inertia {lloyd['training_metrics']['inertia']:.4f} -> "
              f"{refined['training_metrics']['inertia']:.4f}")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
