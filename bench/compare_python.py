"""The Python package against scikit-learn in one Python process, and against the same fit in C++.

  PYTHONPATH=DIR .venv/bin/python bench/compare_python.py \
      --kmeans-driver build/bench/kmeans_driver --logistic-driver build/bench/logistic_driver \
      [--rows 1000000] [--repeats 3] [--threads 1] [--tasks kmeans,logistic]

DIR holds the package `cie` (an installed one needs no PYTHONPATH). Set OMP_NUM_THREADS to
--threads (scikit-learn's thread count) and OMP_WAIT_POLICY=passive on a shared machine.

Tasks (data in memory before any timer starts; every fit runs on --threads threads):
- k-means: --rows × 8 Gaussian blobs (16 centres, the harness's generator), k = 8, k-means++,
  one init, 20 Lloyd iterations (tol 0), no Hartigan refinement, seed 42; cie's model file's
  metrics with the silhouette on 1000 rows (scikit-learn computes none).
  cie.KMeans(refine="none", ...).fit on X as float64 in F order (read in place) and as float32
  in F order; scikit-learn's KMeans(algorithm="lloyd", ...) on X as float32 (its fastest input);
  `kmeans_driver --model --dtype float64` and `--dtype float32`: the same fit as cie.KMeans from
  C++ (train_segments and the model file's text: bench/model_paths.hpp) on float64 / float32
  columns read in place, as cie.KMeans reads the float64 F / float32 F array. Quality: the
  inertia of each tool's centroids on X, computed here in float64.
- logistic: --rows × 32 from a known logistic model (the harness's), L2, C = 1, tol 1e-6.
  cie.LogisticRegression(solver="auto").fit on X as float64 in F order and as float32;
  scikit-learn's LogisticRegression(solver="lbfgs") on float64; `logistic_driver --model`: the
  same fit as cie.LogisticRegression from C++ (train_propensity and the model file's text) with
  `--dtype float64` and `--dtype float32` (borrowed columns, as cie.LogisticRegression reads the
  float64 F / float32 F array) and `--dtype owned` (the table the CLI's reader makes: owned
  float64 values with missing flags). Quality: the training log-loss of each tool's
  predict_proba, computed here in float64.

Each tool runs --repeats times, alternating, after one untimed fit of cie (from Python, and in
each driver process: --warmup) on 4096 rows; the table gives the median and the fastest wall
time of the fit call (for the driver: its own timer around the same engine call, without reading
the file), the median CPU time (user + system of every thread of the process: the driver's
std::clock, Python's time.process_time; less sensitive than wall time to other processes on a
shared machine), their ratios to the driver's on the same column type (Python's float64 F to the
driver's float64, float32 F to float32; the other rows to the driver's float64), and for cie's
Python fits the Python side: the fit's time minus the time inside the engine call
(cie._core.kmeans_fit / logistic_fit, timed by a wrapper), i.e. the input checks and
conversions, label checks and the model file's parsing. The fits of cie from Python and from
the drivers must give the same inertia / log-loss (the same fit): the script exits 1 otherwise.
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

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare_harness.kmeans import blobs  # noqa: E402  (the harness's data, one definition)
from compare_harness.logistic import known_model  # noqa: E402

import cie  # noqa: E402
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402
from sklearn.linear_model import LogisticRegression as SkLogistic  # noqa: E402

K, KMEANS_COLS, ITERS, SEED, SILHOUETTE = 8, 8, 20, 42, 1000
LOGISTIC_COLS, TOL = 32, 1e-6
DTYPES = ["float64", "float32"]  # the drivers' --dtype for Python's float64 F and float32 F


def inertia(x64, centroids):
    """Sum over rows of the squared distance to the nearest centroid, in float64, in blocks."""
    c = np.asarray(centroids, dtype=np.float64)
    total = 0.0
    for start in range(0, x64.shape[0], 65536):
        block = x64[start:start + 65536]
        d = (block * block).sum(1)[:, None] - 2.0 * block @ c.T + (c * c).sum(1)[None, :]
        total += float(np.maximum(d.min(axis=1), 0.0).sum())
    return total


def log_loss(p, y):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-300, 1.0)
    q = np.clip(1.0 - np.asarray(p, dtype=np.float64), 1e-300, 1.0)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(q)))


ENGINE = []  # seconds inside each cie._core fit call (the engine with the GIL released)


def engine_timed(name):
    """Wraps cie._core.NAME to record the seconds of each call in ENGINE."""
    from cie import _core
    call = getattr(_core, name)

    def wrapped(*args, **kwargs):
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            ENGINE.append(time.perf_counter() - start)
    setattr(_core, name, wrapped)


def timed(fit):
    """(wall seconds, CPU seconds of the process: every thread, user + system, model)."""
    cpu, start = time.process_time(), time.perf_counter()
    model = fit()
    return time.perf_counter() - start, time.process_time() - cpu, model


def run_driver(command):
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def kmeans_task(args, work):
    x = blobs(args.rows, KMEANS_COLS, 16, 7)  # float32, C order
    x64 = x.astype(np.float64)
    path = os.path.join(work, "kmeans.f32")
    x.T.astype("<f4").tofile(path)
    inputs = {"float64 F": np.asfortranarray(x64), "float32 F": np.asfortranarray(x)}
    driver = [args.kmeans_driver, "--data", path, "--rows", str(args.rows), "--cols",
              str(KMEANS_COLS), "--k", str(K), "--kmeans++", "--n-init", "1", "--iters",
              str(ITERS), "--tol", "0", "--seed", str(SEED), "--refine", "none", "--threads",
              str(args.threads), "--warmup", "--model", "--silhouette-limit", str(SILHOUETTE)]
    drivers = {f"driver {dtype}": driver + ["--dtype", dtype] for dtype in DTYPES}

    def cie_fit(X):
        return cie.KMeans(K, init="k-means++", n_init=1, max_iter=ITERS, tol=0.0, refine="none",
                          random_state=SEED, silhouette_limit=SILHOUETTE, device="cpu",
                          threads=args.threads).fit(X)

    def sk_fit():
        return SkKMeans(K, init="k-means++", n_init=1, max_iter=ITERS, tol=0.0,
                        algorithm="lloyd", random_state=SEED).fit(x)

    cie_fit(np.asfortranarray(x64[:4096]))  # warm-up: imports, first allocations
    times = {name: [] for name in [*drivers, *inputs, "scikit-learn"]}
    cpu = {name: [] for name in times}
    python_side = {name: [] for name in inputs}
    quality, engine = {}, {}
    for _ in range(args.repeats):
        for name, command in drivers.items():
            out = run_driver(command)
            times[name].append(out["seconds"])
            cpu[name].append(out["cpu_seconds"])
            engine[name] = quality[name] = out["inertia"]
        for name, X in inputs.items():
            seconds, cpu_seconds, model = timed(lambda: cie_fit(X))
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
            python_side[name].append(seconds - ENGINE[-1])
            engine[name] = model.inertia_
            quality[name] = inertia(x64, model.cluster_centers_)
        seconds, cpu_seconds, model = timed(sk_fit)
        times["scikit-learn"].append(seconds)
        cpu["scikit-learn"].append(cpu_seconds)
        quality["scikit-learn"] = inertia(x64, model.cluster_centers_)
    same = len({engine[name] for name in [*drivers, *inputs]}) == 1
    return times, cpu, quality, same, engine, python_side


def logistic_task(args, work):
    x, y = known_model(args.rows, LOGISTIC_COLS, 3)  # float32, C order
    xpath, ypath = os.path.join(work, "logistic.f32"), os.path.join(work, "labels.f32")
    x.T.astype("<f4").tofile(xpath)
    y.astype("<f4").tofile(ypath)
    inputs = {"float64 F": np.asfortranarray(x, dtype=np.float64),
              "float32 F": np.asfortranarray(x)}
    x64 = x.astype(np.float64)
    driver = [args.logistic_driver, "--data", xpath, "--labels", ypath, "--rows", str(args.rows),
              "--cols", str(LOGISTIC_COLS), "--penalty", "l2", "--C", "1", "--solver", "auto",
              "--tol", str(TOL), "--max-iter", "1000", "--threads", str(args.threads), "--warmup",
              "--model"]
    drivers = {f"driver {dtype}": driver + ["--dtype", dtype] for dtype in [*DTYPES, "owned"]}

    def cie_fit(X):
        return cie.LogisticRegression(C=1.0, solver="auto", tol=TOL, max_iter=1000, device="cpu",
                                      threads=args.threads).fit(X, y)

    def sk_fit():
        return SkLogistic(C=1.0, solver="lbfgs", tol=TOL, max_iter=1000).fit(x64, y)

    cie.LogisticRegression(device="cpu", threads=args.threads).fit(x64[:4096], y[:4096])  # warm-up
    times = {name: [] for name in [*drivers, *inputs, "scikit-learn"]}
    cpu = {name: [] for name in times}
    python_side = {name: [] for name in inputs}
    quality, engine = {}, {}
    for _ in range(args.repeats):
        for name, command in drivers.items():
            out = run_driver(command)
            times[name].append(out["seconds"])
            cpu[name].append(out["cpu_seconds"])
            engine[name] = quality[name] = out["log_loss"]
        for name, X in inputs.items():
            seconds, cpu_seconds, model = timed(lambda: cie_fit(X))
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
            python_side[name].append(seconds - ENGINE[-1])
            engine[name] = json.loads(model.model_file_)["training_metrics"]["training"][
                "log_loss"]
            quality[name] = log_loss(model.predict_proba(x64)[:, 1], y)
        seconds, cpu_seconds, model = timed(sk_fit)
        times["scikit-learn"].append(seconds)
        cpu["scikit-learn"].append(cpu_seconds)
        quality["scikit-learn"] = log_loss(model.predict_proba(x64)[:, 1], y)
    same = len({engine[name] for name in [*drivers, *inputs]}) == 1
    return times, cpu, quality, same, engine, python_side


def reference(name):
    """The driver run a row is compared with: the same column type for cie's Python fits."""
    return "driver float32" if name == "float32 F" else "driver float64"


def report(task, times, cpu, quality, what, python_side):
    print(f"\n{task}: median (and fastest) of {len(times['driver float64'])} fits, seconds "
          f"(all: {', '.join(f'{k} {[round(t, 3) for t in v]}' for k, v in times.items())})")
    print(f"| tool | input | fit s, median | fastest | CPU s, median | {what} | against | "
          f"median / its | fastest / its | CPU / its | Python side s (share of the fit) |")
    print("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for name, values in times.items():
        seconds = statistics.median(values)
        against = reference(name)
        tool = ("cie C++ (driver --model)" if name.startswith("driver") else
                "scikit-learn" if name == "scikit-learn" else "cie Python")
        given = (f"--dtype {name.split()[1]}" if name.startswith("driver") else
                 "float32 C" if name == "scikit-learn" and task == "k-means" else
                 "float64 C" if name == "scikit-learn" else name)
        side = ""
        if name in python_side:
            share = statistics.median(python_side[name])
            side = f"{share:.3f} ({100 * share / seconds:.1f}%)"
        cpu_seconds = statistics.median(cpu[name])
        print(f"| {tool} | {given} | {seconds:.3f} | {min(values):.3f} | {cpu_seconds:.3f} | "
              f"{quality[name]:.10g} | {against} | "
              f"{seconds / statistics.median(times[against]):.3f} | "
              f"{min(values) / min(times[against]):.3f} | "
              f"{cpu_seconds / statistics.median(cpu[against]):.3f} | {side} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmeans-driver", required=True)
    parser.add_argument("--logistic-driver", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", default="kmeans,logistic")
    args = parser.parse_args()
    print(f"rows {args.rows}, threads {args.threads}, OMP_NUM_THREADS "
          f"{os.environ.get('OMP_NUM_THREADS')}, OMP_WAIT_POLICY "
          f"{os.environ.get('OMP_WAIT_POLICY')}, cie {cie.__version__}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    ok = True
    with tempfile.TemporaryDirectory() as work:
        tasks = args.tasks.split(",")
        if "kmeans" in tasks:
            engine_timed("kmeans_fit")
            times, cpu, quality, same, engine, side = kmeans_task(args, work)
            report("k-means", times, cpu, quality, "inertia", side)
            print(f"engine inertia (drivers, Python inputs): {engine}; same fit: {same}")
            ok &= same
        if "logistic" in tasks:
            engine_timed("logistic_fit")
            times, cpu, quality, same, engine, side = logistic_task(args, work)
            report("logistic", times, cpu, quality, "log-loss", side)
            print(f"engine training log-loss (drivers, Python inputs): {engine}; same fit: {same}")
            ok &= same
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
