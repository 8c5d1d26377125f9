"""`cie segment select`'s gap statistic against one computed independently with numpy and
scikit-learn on the UCI wholesale customers data (read by cie as it is: --no-id).

Both: the six spending columns, log1p then z-scored (population standard deviation), k = 1..10,
B = 10 reference sets drawn uniformly over the bounding box of the prepared data (Tibshirani,
Walther and Hastie 2001, reference (a)), Gap(k) = mean_b log W*_kb - log W_k, s_k = sd_k *
sqrt(1 + 1/B). cie draws its references with its own generator and runs k-means with Hartigan
refinement; here numpy's generator and scikit-learn's KMeans (Lloyd, n_init 2 on references,
10 on the data), so the two curves differ by Monte Carlo error and by local optima.

Checks, with the tolerance each difference can have:
  * log W_k of the data: cie's inertia within 2% of scikit-learn's (both are local minima from
    different starts; test_kmeans_sklearn.py compares their quality).
  * Gap(k), every k: |cie - numpy| <= 4 * sqrt(se_cie^2 + se_numpy^2) + |log W_cie - log W_sk|,
    se = sd_k / sqrt(B), the Monte Carlo standard error of each mean of B reference log W*
    (4 standard errors: a false alarm about once in 15,000 per k), plus the data term's
    difference, which is not random.
  * The k cie recommends passes Tibshirani's rule on the numpy curve within the same tolerance
    (Gap(k) >= Gap(k+1) - s_{k+1} - tol), and every smaller k fails it by more than the
    tolerance or is within it: the decision agrees up to Monte Carlo error.
  * The elbow cie reports is the elbow of scikit-learn's inertia curve (same rule, in numpy).
"""

import argparse
import pathlib
import re
import subprocess
import sys

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
B = 10
KS = list(range(1, 11))
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_select(cie, path):
    command = [cie, "--log-level", "warn", "--seed", "3", "segment", "select", "--input", str(path),
               "--no-id", "--features", ",".join(SPENDING),
               "--transforms", ",".join(f"{name}=log1p" for name in SPENDING),
               "--k", f"{KS[0]}..{KS[-1]}", "--n-init", "10", "--gap-references", str(B)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    rows = {}
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0].isdigit():
            rows[int(fields[0])] = {"inertia": float(fields[1]), "gap": float(fields[6]),
                                    "s": float(fields[7])}
    chosen = {m.group(1): int(m.group(2))
              for m in re.finditer(r"^\s+([a-z-]+)\s+k = (\d+)", result.stdout, re.MULTILINE)}
    return result.stdout, rows, chosen


def elbow(ks, inertia):
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = (np.array(inertia) - inertia[-1]) / (inertia[0] - inertia[-1])
    distance = 1.0 - x - y
    return ks[int(np.argmax(distance[1:-1])) + 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    path = args.data / "wholesale-customers/wholesale_customers_data.csv"
    frame = pd.read_csv(path)
    x = np.log1p(frame[SPENDING].to_numpy(dtype=np.float64))
    x = (x - x.mean(axis=0)) / x.std(axis=0)

    output, rows, chosen = cie_select(args.cie, path)
    print(output)
    check(sorted(rows) == KS, f"cie reports k = {sorted(rows)}")

    inertia = [KMeans(n_clusters=k, n_init=10, random_state=0).fit(x).inertia_ for k in KS]
    rng = np.random.default_rng(0)
    low, high = x.min(axis=0), x.max(axis=0)
    log_reference = np.empty((B, len(KS)))
    for b in range(B):
        draw = rng.uniform(low, high, size=x.shape)
        for i, k in enumerate(KS):
            log_reference[b, i] = np.log(KMeans(n_clusters=k, n_init=2, random_state=b)
                                         .fit(draw).inertia_)
    log_w = np.log(inertia)
    gap = log_reference.mean(axis=0) - log_w
    sd = log_reference.std(axis=0)
    s = sd * np.sqrt(1 + 1 / B)

    print("k | cie gap | numpy gap | tolerance | cie s | numpy s")
    tolerance = {}
    for i, k in enumerate(KS):
        cie = rows[k]
        check(abs(cie["inertia"] / inertia[i] - 1) <= 0.02,
              f"k = {k}: cie's inertia {cie['inertia']:.6g} within 2% of scikit-learn's "
              f"{inertia[i]:.6g}")
        se_cie = cie["s"] / np.sqrt(1 + 1 / B) / np.sqrt(B)
        se_np = sd[i] / np.sqrt(B)
        tolerance[k] = (4 * np.sqrt(se_cie ** 2 + se_np ** 2)
                        + abs(np.log(cie["inertia"]) - log_w[i]))
        print(f"{k} | {cie['gap']:.4f} | {gap[i]:.4f} | {tolerance[k]:.4f} | {cie['s']:.4f} | "
              f"{s[i]:.4f}")
        check(abs(cie["gap"] - gap[i]) <= tolerance[k],
              f"k = {k}: gap {cie['gap']:.4f} vs numpy {gap[i]:.4f}, tolerance {tolerance[k]:.4f}")
        check(0.5 * s[i] <= cie["s"] <= 2.0 * s[i],
              f"k = {k}: s {cie['s']:.4f} within a factor 2 of numpy's {s[i]:.4f} "
              "(a standard deviation of 10 draws)")

    k = chosen.get("gap")
    check(k is not None and k + 1 in rows, f"cie's gap rule recommends k = {k}")
    if k is not None and k + 1 in rows:
        i = KS.index(k)
        margin = gap[i] - (gap[i + 1] - s[i + 1])
        check(margin >= -tolerance[k + 1],
              f"k = {k} passes the rule on the numpy curve within tolerance (margin {margin:.4f})")
        for j, smaller in enumerate(KS[:i]):
            margin = gap[j] - (gap[j + 1] - s[j + 1])
            check(margin <= tolerance[smaller + 1],
                  f"k = {smaller} fails the rule on the numpy curve within tolerance "
                  f"(margin {margin:.4f})")
    check(chosen.get("elbow") == elbow(KS, inertia),
          f"cie's elbow k = {chosen.get('elbow')}, scikit-learn's curve: {elbow(KS, inertia)}")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
