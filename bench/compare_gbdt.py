"""Gradient-boosted trees: cie against XGBoost (`hist`) and LightGBM, same data, same threads.

Data (generated here, fixed seed): ROWS training and ROWS/4 validation rows x 32 features:
24 continuous (normal, 10% missing), 8 integer codes 0..9 given to every tool as numbers
(cie has no native categorical splits yet). P(y = 1) = σ(f(x)) with a nonlinear f (thresholds,
an interaction, a missing-value effect). Parameters: 200 trees, 63 leaves grown leaf-wise, no
depth limit, learning rate 0.1, 255 bins, at least 20 rows and 1e-3 hessian per leaf, no L1/L2
penalty (LightGBM's defaults otherwise; XGBoost with grow_policy lossguide, max_depth 0).

Each tool runs in its own process on the same raw float32 files: training time (data already in
memory), scoring time of the validation rows, validation log-loss, and the process's peak
resident memory (VmHWM, data included; not getrusage, whose maximum a child inherits from the
script that generated the data); training and scoring also as CPU seconds of the
process (all threads: the driver's std::clock, the peers' time.process_time), which a loaded
machine disturbs less than wall time. The table gives cie's time ratio to the faster peer.

  .venv/bin/python bench/compare_gbdt.py --driver build-bench/bench/gbdt_driver --rows 1000000

Options for measuring on a shared machine: --driver NAME=PATH more than once runs several cie
builds in the same run (e.g. before=... after=...), --rounds R runs every tool R times in turn
(interleaved; the table shows each tool's best), --score-rows S scores a separate set of S
generated rows (the issue's 10M) instead of the validation rows, --data-dir keeps the generated
files for the next run, --model-dir writes each cie build's model JSON (compare them bit for bit),
and the hashes of the cie builds' scored probabilities are printed (one hash: the same bits),
--tools picks the peers. cie's line also gives the histogram floor (gbdt_driver: bytes of binned
data its histogram passes must read, and that many bytes' read time on one thread).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

PEER = r"""
import json, re, sys, time
import numpy as np


def peak_rss_bytes():  # VmHWM: this process's own peak (ru_maxrss carries the parent's over exec)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


tool, directory, rows, valid_rows, cols, threads = sys.argv[1:7]
rows, valid_rows, cols, threads = int(rows), int(valid_rows), int(cols), int(threads)
d = directory + "/"
x = np.fromfile(d + "x.f32", dtype="<f4").reshape(cols, rows).T
y = np.fromfile(d + "y.f32", dtype="<f4")
vx = np.fromfile(d + "vx.f32", dtype="<f4").reshape(cols, valid_rows).T
vy = np.fromfile(d + "vy.f32", dtype="<f4")
score_rows = int(sys.argv[7]) if len(sys.argv) > 7 else 0
sx = np.fromfile(d + "sx.f32", dtype="<f4").reshape(cols, score_rows).T if score_rows else None
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
start, cpu = time.perf_counter(), time.process_time()
model.fit(x, y)
train, train_cpu = time.perf_counter() - start, time.process_time() - cpu
start, cpu = time.perf_counter(), time.process_time()
p = model.predict_proba(vx)[:, 1]
score, score_cpu = time.perf_counter() - start, time.process_time() - cpu
if sx is not None:
    sx = np.ascontiguousarray(sx)  # row-major, as both peers want it
    start, cpu = time.perf_counter(), time.process_time()
    model.predict_proba(sx)
    score, score_cpu = time.perf_counter() - start, time.process_time() - cpu
p = np.clip(p, 1e-15, 1 - 1e-15)
loss = float(-np.mean(vy * np.log(p) + (1 - vy) * np.log1p(-p)))
print(json.dumps({"train_seconds": train, "train_cpu_seconds": train_cpu,
                  "score_seconds": score, "score_cpu_seconds": score_cpu, "valid_log_loss": loss,
                  "peak_rss_bytes": peak_rss_bytes()}))
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


def run_cie(driver, d, rows, valid_rows, score_rows, cols, threads, model_out):
    command = [driver, "--data", d / "x.f32", "--labels", d / "y.f32", "--rows", str(rows),
               "--valid", d / "vx.f32", "--valid-labels", d / "vy.f32",
               "--valid-rows", str(valid_rows), "--cols", str(cols), "--threads", str(threads)]
    if score_rows:
        command += ["--score", d / "sx.f32", "--score-rows", str(score_rows)]
    if model_out:
        command += ["--model-out", model_out]
    return json.loads(subprocess.run(command, capture_output=True, text=True,
                                     check=True).stdout)


def run_peer(tool, d, rows, valid_rows, score_rows, cols, threads):
    run = subprocess.run([sys.executable, "-c", PEER, tool, str(d), str(rows), str(valid_rows),
                          str(cols), str(threads), str(score_rows)],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def write_data(d, rows, valid_rows, score_rows):
    names = ["x.f32", "y.f32", "vx.f32", "vy.f32"] + (["sx.f32"] if score_rows else [])
    stamp = d / "rows.json"
    wanted = {"rows": rows, "valid_rows": valid_rows, "score_rows": score_rows}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return 32
    x, y = make_data(rows, 1)
    vx, vy = make_data(valid_rows, 2)
    x.T.astype("<f4").tofile(d / "x.f32")
    y.astype("<f4").tofile(d / "y.f32")
    vx.T.astype("<f4").tofile(d / "vx.f32")
    vy.astype("<f4").tofile(d / "vy.f32")
    cols = x.shape[1]
    del x, vx
    if score_rows:
        sx, _ = make_data(score_rows, 3)
        sx.T.astype("<f4").tofile(d / "sx.f32")
        del sx
    assert all((d / name).exists() for name in names)
    stamp.write_text(json.dumps(wanted))
    return cols


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", action="append", required=True,
                        help="PATH or NAME=PATH; more than once to compare cie builds")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--score-rows", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tools", default="lightgbm,xgboost")
    parser.add_argument("--data-dir")
    parser.add_argument("--model-dir")
    args = parser.parse_args()
    valid_rows = args.rows // 4
    drivers = [(d.split("=", 1) if "=" in d else ["cie", d]) for d in args.driver]
    peers = [t for t in args.tools.split(",") if t]
    with tempfile.TemporaryDirectory() as scratch:
        d = pathlib.Path(args.data_dir or scratch)
        d.mkdir(parents=True, exist_ok=True)
        if args.model_dir:
            pathlib.Path(args.model_dir).mkdir(parents=True, exist_ok=True)
        cols = write_data(d, args.rows, valid_rows, args.score_rows)
        results = {}
        for _ in range(args.rounds):
            for name, driver in drivers:
                model_out = (str(pathlib.Path(args.model_dir) / f"{name}-t{args.threads}.json")
                             if args.model_dir else None)
                r = run_cie(driver, d, args.rows, valid_rows, args.score_rows, cols,
                            args.threads, model_out)
                results.setdefault(name, []).append(r)
            for tool in peers:
                r = run_peer(tool, d, args.rows, valid_rows, args.score_rows, cols, args.threads)
                results.setdefault(tool, []).append(r)
    timed = ("train_seconds", "score_seconds", "train_cpu_seconds", "score_cpu_seconds")
    best = {tool: {**{k: min(r[k] for r in runs) for k in timed if k in runs[0]},
                   "valid_log_loss": runs[0]["valid_log_loss"],
                   "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
                   **{k: runs[0][k] for k in ("floor_bytes", "floor_seconds") if k in runs[0]}}
            for tool, runs in results.items()}
    scored = args.score_rows or valid_rows
    print(f"{args.rows} training rows, {valid_rows} validation rows x {cols} features, "
          f"{args.threads} threads, 200 trees, 63 leaves, 255 bins; scoring {scored} rows; "
          f"best of {args.rounds} round(s)")
    print(f"{'tool':<10} {'train s':>9} {'train CPU s':>11} {'score s':>9} {'score CPU s':>11} "
          f"{'valid log-loss':>15} {'peak MiB':>9} {'floor GB':>9} {'floor s':>8}")
    for tool, r in best.items():
        floor = (f" {r['floor_bytes'] / 1e9:>9.2f} {r['floor_seconds']:>8.2f}"
                 if "floor_bytes" in r else "")
        train_cpu = f"{r['train_cpu_seconds']:>11.2f}" if "train_cpu_seconds" in r else f"{'':>11}"
        score_cpu = f"{r['score_cpu_seconds']:>11.3f}" if "score_cpu_seconds" in r else f"{'':>11}"
        print(f"{tool:<10} {r['train_seconds']:>9.2f} {train_cpu} {r['score_seconds']:>9.3f} "
              f"{score_cpu} {r['valid_log_loss']:>15.5f} {r['peak_rss_bytes'] / 2**20:>9.0f}"
              f"{floor}")
    hashes = {r["score_hash"] for name, _ in drivers for r in results[name] if "score_hash" in r}
    if hashes:
        print(f"cie scored probabilities (FNV-1a of their bytes, every build and round): "
              f"{', '.join(sorted(hashes))}"
              f"{' (identical)' if len(hashes) == 1 else ' (DIFFERENT)'}")
    if peers:
        fastest_train = min(best[t]["train_seconds"] for t in peers)
        fastest_score = min(best[t]["score_seconds"] for t in peers)
        for name, _ in drivers:
            print(f"{name}: training time / faster peer's: "
                  f"{best[name]['train_seconds'] / fastest_train:.2f}; scoring: "
                  f"{best[name]['score_seconds'] / fastest_score:.2f} (below 1: cie faster); "
                  f"training time / floor time: "
                  f"{best[name]['train_seconds'] / best[name]['floor_seconds']:.1f}")
            if all("train_cpu_seconds" in best[t] for t in [name, *peers]):
                cpu_train = min(best[t]["train_cpu_seconds"] for t in peers)
                cpu_score = min(best[t]["score_cpu_seconds"] for t in peers)
                print(f"{name}: by CPU seconds: training / faster peer's: "
                      f"{best[name]['train_cpu_seconds'] / cpu_train:.2f}; scoring: "
                      f"{best[name]['score_cpu_seconds'] / cpu_score:.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
