"""Task 3: logistic regression, L2, C = 1, cie against scikit-learn's lbfgs.

Data as in bench/compare_logistic.py: ROWS x 32 from a known logistic model (x ~ N(0, 1),
P(y = 1) = sigmoid(x'beta - 1), beta_j = 0.5 sin j), float32 (scikit-learn gets the same values
as float64). Every fit stops at tol 1e-6, the same criterion in both tools (infinity norm of the
gradient of the same 1/n-scaled objective). cie runs through bench/logistic_driver with its
default solver (auto: Newton while rows x 33^2 <= 2e8, else L-BFGS; the table names the one it
picked) and with lbfgs. Quality, computed here in float64
from each tool's coefficients: the training log-loss (cie's must be no worse than scikit-learn's
+ 1e-9, so the time is to the same or a better log-loss) and the AUC.
"""

import json
import os
import subprocess

import numpy as np

from compare_harness.common import install_error, median, rounds, row, stopwatch


def known_model(rows, cols, seed):
    """Rows from a known logistic model (bench/compare_logistic.py uses it too)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols), dtype=np.float32)
    beta = 0.5 * np.sin(np.arange(1, cols + 1))
    z = x @ beta.astype(np.float32) - 1.0
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return x, y


def margins(x, coef, intercept):
    return x.astype(np.float64) @ np.asarray(coef, dtype=np.float64) + intercept


def log_loss(z, y):
    return float(np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))))


def auc(score, y):
    """Area under the ROC curve (Mann-Whitney, tied scores share their mean rank)."""
    order = np.argsort(score, kind="stable")
    sorted_score = score[order]
    ranks = np.empty(len(score), dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    ends = np.r_[starts[1:], len(score)]
    mean_rank = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, ends - starts)
    positives = y > 0.5
    n1, n0 = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def run_driver(args, paths, rows, extra):
    command = [args.logistic_driver, "--data", paths[0], "--labels", paths[1], "--rows",
               str(rows), "--cols", "32", "--threads", str(args.threads or os.cpu_count()),
               *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"logistic_driver exit {result.returncode}: {result.stderr[-200:]}")
    return json.loads(result.stdout)


def run(args, work):
    rows_out = []
    state = {}
    sklearn_error = install_error("scikit-learn")
    rows = args.logistic_rows
    x, y = known_model(rows, 32, args.logistic_seed)
    paths = (os.path.join(work, "lr-x.f32"), os.path.join(work, "lr-y.f32"))
    np.ascontiguousarray(x.T, dtype="<f4").tofile(paths[0])
    y.astype("<f4").tofile(paths[1])
    x64 = x.astype(np.float64)
    case = f"{rows:,} x 32, L2, C = 1, tol 1e-6"
    models = {}

    def cie(solver, name):
        def fit():
            result = run_driver(args, paths, rows, ["--solver", solver, "--tol", "1e-6"])
            models[name] = (result["coef"], result["intercept"],
                            f"{result['iterations']} it ({result['solver']})")
            return result["seconds"]
        return fit

    def sklearn():
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-6, max_iter=10000)
        seconds, _ = stopwatch(lambda: model.fit(x64, y))
        models["scikit-learn lbfgs"] = (model.coef_[0], float(model.intercept_[0]),
                                        f"{int(model.n_iter_[0])} it")
        return seconds

    tools = {"cie (auto)": cie("auto", "cie (auto)"),
             "cie lbfgs": cie("lbfgs", "cie lbfgs")}
    if not sklearn_error:
        tools["scikit-learn lbfgs"] = sklearn
    results, errors = rounds(tools, args.repeats)
    if sklearn_error:
        errors["scikit-learn lbfgs"] = f"error: {sklearn_error}"
    losses = {}
    for name, (coef, intercept, _) in models.items():
        z = margins(x, coef, intercept)
        losses[name] = (log_loss(z, y), auc(z, y))
    reference = losses.get("scikit-learn lbfgs")
    for name in ("cie (auto)", "cie lbfgs", "scikit-learn lbfgs"):
        if name in errors:
            rows_out.append(row("logistic", case, name, "fit s", None, "s", status=errors[name]))
            continue
        loss, area = losses[name]
        quality = f"log-loss {loss:.10f}, AUC {area:.6f}, {models[name][2]}"
        status = "ok"
        if name.startswith("cie") and reference and loss > reference[0] + 1e-9:
            status = f"MISMATCH: log-loss {loss:.10f} worse than scikit-learn's {reference[0]:.10f}"
        rows_out.append(row("logistic", case, name, "fit s",
                            median(results[name]) if status == "ok" else None, "s",
                            quality=quality, status=status, log_loss=loss, auc=area,
                            iterations=models[name][2], runs=results[name]))
    coef, intercept, _ = models.get("cie (auto)", (None, None, None))
    if coef is not None:
        state["coef"] = np.append(np.asarray(coef, dtype=np.float64), intercept)
    for path in paths:
        os.remove(path)
    print(f"logistic {case}: done", flush=True)
    sklearn_row = rows_out[-1]
    for r in rows_out[:-1]:  # each cie solver against scikit-learn: > 1 means cie is faster
        if r["value"] and sklearn_row["value"]:
            r["ratio"] = sklearn_row["value"] / r["value"]
    return rows_out, state
