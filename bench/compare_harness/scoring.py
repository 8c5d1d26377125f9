"""Task 4: scoring N customers with a trained logistic model and a trained k-means model.

The logistic model is cie's fit from task 3 (32 coefficients and the intercept); the k-means
model is the set of centroids named in the table (scikit-learn's fit from task 2). The
customers: N x 32 drawn as in task 3 (another seed) for the propensity, and task 2's N x 8
blobs for the segment. Every tool gets the same float32 matrices in memory and the same model;
times exclude reading the data. cie: bench/score_driver (logistic_predict_proba, kmeans_predict);
scikit-learn: LogisticRegression.predict_proba and KMeans.predict with the model's parameters set;
faiss-cpu: an exact IndexFlatL2 search for the nearest centroid. Quality: every probability
within 1e-9 of cie's, and every label equal to cie's unless the two centroids are tied for the
customer (squared distances equal to 1e-5 relative, computed in float64).
"""

import json
import os
import subprocess

import numpy as np

from compare_harness.common import add_ratios, install_error, median, rounds, row, stopwatch
from compare_harness.kmeans import blobs
from compare_harness.logistic import known_model


def label_check(z, centroids, ours, theirs):
    """'' when the labels agree up to ties, else a MISMATCH reason; plus a description."""
    differ = np.flatnonzero(ours != theirs)
    if len(differ) == 0:
        return "", "labels equal"
    points = z[differ].astype(np.float64)
    c = centroids.astype(np.float64)
    d_ours = ((points - c[ours[differ]]) ** 2).sum(axis=1)
    d_theirs = ((points - c[theirs[differ]]) ** 2).sum(axis=1)
    not_tied = np.abs(d_ours - d_theirs) > 1e-5 * np.maximum(d_ours, 1.0)
    if not_tied.any():
        return f"MISMATCH: {int(not_tied.sum())} labels differ from cie's", ""
    return "", f"labels equal up to {len(differ)} tied"


def run(args, work, coef, centroids, centroids_from):
    n, k = args.score_rows, len(centroids)
    x, _ = known_model(n, 32, args.logistic_seed + 1)
    z = blobs(n, 8, 32, args.seed)
    paths = {name: os.path.join(work, f"score-{name}") for name in
             ("x.f32", "z.f32", "coef.f64", "centroids.f32", "prob.f64", "labels.i32")}
    np.ascontiguousarray(x.T, dtype="<f4").tofile(paths["x.f32"])
    np.ascontiguousarray(z.T, dtype="<f4").tofile(paths["z.f32"])
    np.asarray(coef, dtype="<f8").tofile(paths["coef.f64"])
    centroids = np.ascontiguousarray(centroids, dtype=np.float32)
    centroids.astype("<f4").tofile(paths["centroids.f32"])
    outputs = {}

    def cie():
        command = [args.score_driver, "--rows", str(n), "--logistic-data", paths["x.f32"],
                   "--cols", "32", "--coef", paths["coef.f64"], "--kmeans-data", paths["z.f32"],
                   "--kcols", "8", "--centroids", paths["centroids.f32"], "--k", str(k),
                   "--threads", str(args.threads)]
        if "cie" not in outputs:
            command += ["--prob-out", paths["prob.f64"], "--labels-out", paths["labels.i32"]]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"score_driver exit {result.returncode}: {result.stderr[-200:]}")
        if "cie" not in outputs:
            outputs["cie"] = (np.fromfile(paths["prob.f64"], dtype="<f8"),
                              np.fromfile(paths["labels.i32"], dtype="<i4"))
        timing = json.loads(result.stdout)
        return timing["logistic_seconds"], timing["kmeans_seconds"]

    def sklearn():
        from sklearn.cluster import KMeans
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression()
        model.coef_, model.intercept_ = coef[None, :-1].copy(), coef[-1:].copy()
        model.classes_, model.n_features_in_ = np.array([0.0, 1.0]), 32
        # Fitting k points into k clusters from those points leaves them as the centroids.
        km = KMeans(n_clusters=k, init=centroids, n_init=1, max_iter=1).fit(centroids)
        lr_seconds, probability = stopwatch(lambda: model.predict_proba(x)[:, 1])
        km_seconds, labels = stopwatch(lambda: km.predict(z))
        outputs["scikit-learn"] = (probability, labels)
        return lr_seconds, km_seconds

    def faiss_search():
        import faiss
        index = faiss.IndexFlatL2(8)
        index.add(centroids)
        km_seconds, (_, labels) = stopwatch(lambda: index.search(z, 1))
        outputs["faiss-cpu"] = (None, labels[:, 0])
        return None, km_seconds

    tools = {"cie": cie}
    errors = {}
    for peer, function in (("scikit-learn", sklearn), ("faiss-cpu", faiss_search)):
        reason = install_error(peer)
        if reason:
            errors[peer] = f"error: {reason}"
        else:
            tools[peer] = function
    results, run_errors = rounds(tools, args.repeats)
    errors.update(run_errors)
    case = f"{n:,} customers, logistic 32 features, k-means k = {k} on 8"
    rows_out = []
    for tool in ("cie", "scikit-learn", "faiss-cpu"):
        metrics = [("logistic", 0), ("k-means", 1), ("both models", None)]
        if tool == "faiss-cpu":
            metrics = [("k-means", 1)]
        if tool in errors or "cie" in errors:
            for metric, _ in metrics:
                rows_out.append(row("scoring", case, tool, f"{metric} customers/s", None,
                                    "customers/s", status=errors.get(tool, errors.get("cie"))))
            continue
        status, quality = "", "reference"
        if tool != "cie":
            probability, labels = outputs[tool]
            status, quality = label_check(z, centroids, outputs["cie"][1], labels)
            if probability is not None and not status:
                worst = float(np.abs(probability - outputs["cie"][0]).max())
                quality = f"probabilities within {worst:.1e}, {quality}"
                if worst > 1e-9:
                    status = f"MISMATCH: a probability differs from cie's by {worst:.1e}"
        for metric, index in metrics:
            seconds = [sum(r) if index is None else r[index] for r in results[tool]]
            value = n / median(seconds)
            rows_out.append(row("scoring", case, tool, f"{metric} customers/s",
                                None if status else value, "customers/s", quality=quality,
                                status=status or "ok", runs=seconds))
    for path in paths.values():
        if os.path.exists(path):
            os.remove(path)
    print(f"scoring {case}: done", flush=True)
    return add_ratios(rows_out, higher_is_better=True), centroids_from
