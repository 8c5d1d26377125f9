"""Task 2: k-means Lloyd iterations, cie against scikit-learn (lloyd) and faiss-cpu.

Same data and definitions as bench/compare_kmeans.py: Gaussian blobs (32 centres in 8
dimensions, sd 3), float32; for each k the same k rows drawn as initial centroids for every
tool; a fixed number of iterations (tol 0; scikit-learn may stop earlier when no label changes,
and its time per iteration divides by the iterations it ran); faiss without subsampling.
Reported: median fit time per iteration. Quality: the inertia of each tool's final centroids
(cie's own figure, in double; the peers' computed here in float64, since scikit-learn sums its
own inertia_ in float32, which at 10M rows is off by ~1e-4) must be
within --kmeans-inertia-tolerance (relative) of cie's.
"""

import json
import os
import subprocess

import numpy as np

from compare_harness.common import add_ratios, install_error, median, rounds, row, stopwatch


def blobs(rows, cols, centres, seed):
    """Gaussian blobs around `centres` uniform centres, sd 3 (bench/compare_kmeans.py uses it too)."""
    rng = np.random.default_rng(seed)
    where = rng.uniform(-10, 10, size=(centres, cols)).astype(np.float32)
    labels = np.arange(rows) % centres
    return (where[labels] + rng.normal(0, 3, size=(rows, cols))).astype(np.float32)


def exact_inertia(x, centroids):
    """Sum of squared distances to the nearest centroid, in float64 (in chunks of 1M rows)."""
    c = np.asarray(centroids, dtype=np.float64)
    total = 0.0
    for start in range(0, len(x), 1 << 20):
        chunk = x[start:start + (1 << 20)].astype(np.float64)
        d = (chunk * chunk).sum(axis=1)[:, None] - 2.0 * chunk @ c.T + (c * c).sum(axis=1)
        total += float(np.maximum(d.min(axis=1), 0.0).sum())
    return total


def run_driver(driver, data_path, rows, cols, k, extra, threads):
    command = [driver, "--data", data_path, "--rows", str(rows), "--cols", str(cols),
               "--k", str(k), "--threads", str(threads), *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kmeans_driver exit {result.returncode}: {result.stderr[-200:]}")
    return json.loads(result.stdout)


def dataset(rows, seed, work):
    """The blobs as an array and as a column-major float32 file (cached in `work`)."""
    x = blobs(rows, 8, 32, seed)
    path = os.path.join(work, f"blobs{rows}.f32")
    if not os.path.exists(path):
        np.ascontiguousarray(x.T, dtype="<f4").tofile(path)
    return x, path


def run(args, work):
    rows_out = []
    state = {"centroids": None}
    peers = {}
    for peer in ("scikit-learn", "faiss-cpu"):
        peers[peer] = install_error(peer)
    for n in args.kmeans_rows:
        x, data_path = dataset(n, args.seed, work)
        iters = args.kmeans_iters if n <= 1_000_000 else args.kmeans_iters_large
        rng = np.random.default_rng(args.seed + 1)
        for k in args.kmeans_k:
            init = np.ascontiguousarray(x[rng.choice(n, k, replace=False)])
            init_path = os.path.join(work, f"init{n}-{k}.f32")
            init.astype("<f4").tofile(init_path)
            case = f"{n:,} x 8, k = {k}, {iters} iterations"
            final = {}
            state["sklearn_model"] = None

            def cie():
                result = run_driver(args.kmeans_driver, data_path, n, 8, k,
                                    ["--init", init_path, "--iters", str(iters)], args.threads)
                final["cie"] = (result["inertia"], result["iterations"])
                return result["seconds_per_iter"]

            def sklearn():
                from sklearn.cluster import KMeans
                model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters, tol=0,
                               algorithm="lloyd")
                seconds, _ = stopwatch(lambda: model.fit(x))
                final["scikit-learn"] = (model.cluster_centers_, int(model.n_iter_))
                state["sklearn_model"] = model.cluster_centers_
                return seconds / model.n_iter_

            def faiss_kmeans():
                import faiss
                km = faiss.Kmeans(8, k, niter=iters, max_points_per_centroid=10**9,
                                  min_points_per_centroid=1, seed=args.seed)
                seconds, _ = stopwatch(lambda: km.train(x, init_centroids=init))
                final["faiss-cpu"] = (km.centroids, iters)
                return seconds / iters

            tools = {"cie": cie}
            for peer, function in (("scikit-learn", sklearn), ("faiss-cpu", faiss_kmeans)):
                if not peers[peer]:
                    tools[peer] = function
            results, errors = rounds(tools, args.repeats)
            errors.update({p: f"error: {reason}" for p, reason in peers.items() if reason})
            for peer in ("scikit-learn", "faiss-cpu"):
                if peer in final and peer not in errors:
                    final[peer] = (exact_inertia(x, final[peer][0]), final[peer][1])
            cie_inertia = final.get("cie", (None, None))[0]
            for tool in ("cie", "scikit-learn", "faiss-cpu"):
                if tool in errors:
                    rows_out.append(row("kmeans", case, tool, "s/iter", None, "s",
                                        status=errors[tool]))
                    continue
                inertia, ran = final[tool]
                relative = abs(inertia - cie_inertia) / cie_inertia
                quality = f"inertia {inertia:.7g}, {ran} it"
                status = "ok"
                if tool != "cie":
                    quality += f", {relative:.1e} from cie"
                    if relative > args.kmeans_inertia_tolerance:
                        status = (f"MISMATCH: inertia {relative:.1e} from cie's "
                                  f"(> {args.kmeans_inertia_tolerance:g})")
                rows_out.append(row("kmeans", case, tool, "s/iter",
                                    median(results[tool]) if status == "ok" else None, "s",
                                    quality=quality, status=status, inertia=inertia,
                                    iterations=ran, runs=results[tool]))
            if n == max(args.kmeans_rows) and k == args.score_k:
                fitted = state["sklearn_model"]
                state["centroids"] = init if fitted is None else fitted
                state["centroids_from"] = ("the initial centroids (scikit-learn did not run)"
                                           if fitted is None else
                                           f"scikit-learn's fit on {n:,} x 8, k = {k}")
            print(f"kmeans {case}: done", flush=True)
        del x
    return add_ratios(rows_out), state
