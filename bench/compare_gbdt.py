"""Gradient-boosted trees: cie against XGBoost (`hist`) and LightGBM, same data, same threads.

Data (generated here, fixed seed): ROWS training and ROWS/4 validation rows x 32 features:
24 continuous (normal, 10% missing), 8 integer codes 0..9 given to every tool as numbers
(cie has no native categorical splits yet). P(y = 1) = σ(f(x)) with a nonlinear f (thresholds,
an interaction, a missing-value effect). Parameters: 200 trees, 63 leaves grown leaf-wise, no
depth limit, learning rate 0.1, 255 bins, at least 20 rows and 1e-3 hessian per leaf, no L1/L2
penalty (LightGBM's defaults otherwise; XGBoost with grow_policy lossguide, max_depth 0).

Each tool runs in its own process on the same raw float32 files: training time (data already in
memory), scoring time of the validation rows, validation log-loss, and the process's peak
resident memory (getrusage, data included). The table gives cie's time ratio to the faster peer.

  .venv/bin/python bench/compare_gbdt.py --driver build-bench/bench/gbdt_driver --rows 1000000
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

PEER = r"""
import json, resource, sys, time
import numpy as np
tool, directory, rows, valid_rows, cols, threads = sys.argv[1:7]
rows, valid_rows, cols, threads = int(rows), int(valid_rows), int(cols), int(threads)
d = directory + "/"
x = np.fromfile(d + "x.f32", dtype="<f4").reshape(cols, rows).T
y = np.fromfile(d + "y.f32", dtype="<f4")
vx = np.fromfile(d + "vx.f32", dtype="<f4").reshape(cols, valid_rows).T
vy = np.fromfile(d + "vy.f32", dtype="<f4")
if tool == "lightgbm":
    import lightgbm
    model = lightgbm.LGBMClassifier(n_estimators=200, learning_rate=0.1, num_leaves=63,
                                    max_depth=-1, min_child_samples=20, min_child_weight=1e-3,
                                    reg_lambda=0.0, max_bin=255, n_jobs=threads, verbose=-1)
else:
    import xgboost
    model = xgboost.XGBClassifier(n_estimators=200, learning_rate=0.1, tree_method="hist",
                                  grow_policy="lossguide", max_leaves=63, max_depth=0,
                                  min_child_weight=1e-3, reg_lambda=0.0, max_bin=255,
                                  n_jobs=threads)
start = time.perf_counter()
model.fit(x, y)
train = time.perf_counter() - start
start = time.perf_counter()
p = model.predict_proba(vx)[:, 1]
score = time.perf_counter() - start
p = np.clip(p, 1e-15, 1 - 1e-15)
loss = float(-np.mean(vy * np.log(p) + (1 - vy) * np.log1p(-p)))
print(json.dumps({"train_seconds": train, "score_seconds": score, "valid_log_loss": loss,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def make_data(rows, seed):
    rng = np.random.default_rng(seed)
    continuous = rng.normal(size=(rows, 24)).astype(np.float32)
    codes = rng.integers(0, 10, size=(rows, 8)).astype(np.float32)
    missing = rng.random(size=continuous.shape) < 0.1
    z = (1.2 * (continuous[:, 0] > 0.5) - 0.8 * continuous[:, 1] ** 2 / 2
         + 0.6 * continuous[:, 2] * (continuous[:, 3] > 0) + 0.4 * np.sin(2 * continuous[:, 4])
         + 0.3 * (codes[:, 0] % 3 == 1) - 0.5 * (codes[:, 1] > 6) - 0.6)
    z = z + 0.8 * missing[:, 5]  # a missing value that means something
    continuous[missing] = np.nan
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.float32)
    return np.hstack([continuous, codes]), y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    valid_rows = args.rows // 4
    with tempfile.TemporaryDirectory() as directory:
        d = pathlib.Path(directory)
        x, y = make_data(args.rows, 1)
        vx, vy = make_data(valid_rows, 2)
        cols = x.shape[1]
        x.T.astype("<f4").tofile(d / "x.f32")
        y.astype("<f4").tofile(d / "y.f32")
        vx.T.astype("<f4").tofile(d / "vx.f32")
        vy.astype("<f4").tofile(d / "vy.f32")
        del x, vx
        results = {}
        cie = subprocess.run([args.driver, "--data", d / "x.f32", "--labels", d / "y.f32",
                              "--rows", str(args.rows), "--valid", d / "vx.f32",
                              "--valid-labels", d / "vy.f32", "--valid-rows", str(valid_rows),
                              "--cols", str(cols), "--threads", str(args.threads)],
                             capture_output=True, text=True, check=True)
        results["cie"] = json.loads(cie.stdout)
        for tool in ("lightgbm", "xgboost"):
            run = subprocess.run([sys.executable, "-c", PEER, tool, directory, str(args.rows),
                                  str(valid_rows), str(cols), str(args.threads)],
                                 capture_output=True, text=True, check=True)
            results[tool] = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"{args.rows} training rows, {valid_rows} validation rows x {cols} features, "
          f"{args.threads} threads, 200 trees, 63 leaves, 255 bins")
    print(f"{'tool':<10} {'train s':>9} {'score s':>9} {'valid log-loss':>15} {'peak MiB':>9}")
    for tool, r in results.items():
        print(f"{tool:<10} {r['train_seconds']:>9.2f} {r['score_seconds']:>9.3f} "
              f"{r['valid_log_loss']:>15.5f} {r['peak_rss_bytes'] / 2**20:>9.0f}")
    fastest_train = min(results[t]["train_seconds"] for t in ("lightgbm", "xgboost"))
    fastest_score = min(results[t]["score_seconds"] for t in ("lightgbm", "xgboost"))
    print(f"cie training time / faster peer's: {results['cie']['train_seconds'] / fastest_train:.2f}; "
          f"scoring: {results['cie']['score_seconds'] / fastest_score:.2f} (below 1: cie faster)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
