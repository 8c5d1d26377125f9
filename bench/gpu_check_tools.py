"""bench/gpu_check.sh's comparisons, one table row each: python3 standard library only (the GPU
machines have no numpy). Every subcommand prints markdown rows
`| check | cpu | cuda | ratio | verdict |` (ratio: how many times faster the cuda column is) and
exits 1 when a verdict is FAIL; a missing or unreadable input is a FAIL row, never a traceback.

  gpu_check_tools.py rfm CPU_S CUDA_S CPU_CSV CUDA_CSV
  gpu_check_tools.py kmeans CPU.json CUDA.json [BANDWIDTH.json]
  gpu_check_tools.py kmeans_refined CPU.json CUDA.json
  gpu_check_tools.py kmeans_streamed RESIDENT.json STREAMED.json [BANDWIDTH.json]
  gpu_check_tools.py logistic LABEL CPU.json CUDA.json
  gpu_check_tools.py offers CPU.json CUDA.json [BANDWIDTH.json]
  gpu_check_tools.py score CPU.json CUDA.json CPU_PROB.f64 CUDA_PROB.f64 CPU_LAB.i32 CUDA_LAB.i32
  gpu_check_tools.py clv MODEL CPU_S CUDA_S CPU_MODEL.json CUDA_MODEL.json
  gpu_check_tools.py nightly CPU_OUT_DIR CUDA_OUT_DIR CPU_TABLE.md CUDA_TABLE.md
  gpu_check_tools.py gbdt CPU.json CUDA.json CPU_MODEL.json CUDA_MODEL.json CPU_M.f64 CUDA_M.f64

Thresholds (CPU and CUDA twins fold sums in the same batch order but round differently inside
a batch, so bit equality is not expected except where the code says so): k-means inertia within
1e-5 relative; logistic log-loss within 1e-9 and coefficients within 1e-5 (the fits stop at a
gradient norm of 1e-8); probabilities within 1e-9; k-means labels equal except at most one row
per million (near-ties of float32 distances; the data stay inside the driver, so ties cannot be
checked here); the offer assignment passes identical (usage, value, dual part and the last
pass's slots: the twins add in the same order, kernels/offers.hpp); RFM output byte-identical; the nightly customers.csv equal field by field except
probability columns (named p_* or *probability*, e.g. response_probability), which must agree
within 1e-9 (the deciles derived from them must be equal); CLV fits' parameters within 1e-6
and log-likelihoods within 1e-9 relative (the passes sum in different orders and the fits stop
at a gradient norm of 1e-9). GBDT: the two models' trees equal
(roots, features, children, thresholds, bins, default directions, categorical sets; leaf values
within 1e-9 relative: the twins are built to give the same bits, kernels/gbdt.hpp) and the
scored margins within 1e-9.
"""

import array
import csv
import filecmp
import json
import math
import os
import sys

failed = False


def row(check, cpu, cuda, ratio, verdict):
    global failed
    failed |= verdict.startswith("FAIL")
    print(f"| {check} | {cpu} | {cuda} | {ratio} | {verdict} |")


def load(path):
    try:
        with open(path) as f:
            lines = [line for line in f.read().splitlines() if line.startswith("{")]
        return json.loads(lines[-1])
    except (OSError, ValueError, IndexError):
        return None


def load_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def seconds(value):
    return "-" if value is None else f"{value:.4g} s"


def speedup(cpu, cuda):
    return "-" if not cpu or not cuda else f"{cpu / cuda:.2f}x"


def missing(check, cpu, cuda):
    names = [name for name, value in (("cpu", cpu), ("cuda", cuda)) if value is None]
    if names:
        row(check, "-" if cpu is None else "ran", "-" if cuda is None else "ran", "-",
            f"FAIL: no result from the {' and '.join(names)} run (see the log)")
        return True
    return False


def rfm(cpu_s, cuda_s, cpu_csv, cuda_csv):
    check = "`cie rfm`, 1M customers: wall time"
    cpu_s, cuda_s = float(cpu_s), float(cuda_s)
    if not (os.path.exists(cpu_csv) and os.path.exists(cuda_csv)):
        row(check, seconds(cpu_s), seconds(cuda_s), "-", "FAIL: an output file is missing")
        return
    same = filecmp.cmp(cpu_csv, cuda_csv, shallow=False)
    row(check, seconds(cpu_s), seconds(cuda_s), speedup(cpu_s, cuda_s),
        "ok: outputs identical" if same else "FAIL: outputs differ")


def kmeans(cpu_path, cuda_path, bandwidth_path=None):
    cpu, cuda = load(cpu_path), load(cuda_path)
    shape = "?" if cpu is None else f"{cpu['rows'] / 1e6:g}M x {cpu['cols']}, k = {cpu['k']}"
    check = f"k-means {shape}: fit s/iteration (one upload incl.)"
    if missing(check, cpu, cuda):
        return
    rel = abs(cpu["inertia"] - cuda["inertia"]) / max(abs(cpu["inertia"]), 1e-300)
    iters = f"{cpu['iterations']}/{cuda['iterations']} iterations"
    verdict = "ok" if rel <= 1e-5 and cpu["iterations"] == cuda["iterations"] else "FAIL"
    row(check, seconds(cpu["seconds_per_iter"]), seconds(cuda["seconds_per_iter"]),
        speedup(cpu["seconds_per_iter"], cuda["seconds_per_iter"]),
        f"{verdict}: inertia relative difference {rel:.2g}, {iters}")
    check = "k-means: one Lloyd pass (data on the device)"
    if "seconds_per_pass" not in cpu or "seconds_per_pass" not in cuda:
        row(check, "-", "-", "-", "FAIL: no pass timing")
        return
    bandwidth = load(bandwidth_path) if bandwidth_path else None
    if bandwidth is None:
        floor = "no bandwidth probe (cpu test mode or probe failed)"
    else:
        floor_s = cuda["bytes_per_pass"] / (bandwidth["read_gb_per_s"] * 1e9)
        floor = (f"floor {floor_s * 1e3:.3g} ms = {cuda['bytes_per_pass'] / 1e6:.0f} MB / "
                 f"{bandwidth['read_gb_per_s']:.0f} GB/s read; cuda pass = "
                 f"{cuda['seconds_per_pass'] / floor_s:.2f}x floor")
    row(check, seconds(cpu["seconds_per_pass"]), seconds(cuda["seconds_per_pass"]),
        speedup(cpu["seconds_per_pass"], cuda["seconds_per_pass"]), f"ok: {floor}")


def kmeans_refined(cpu_path, cuda_path):
    cpu, cuda = load(cpu_path), load(cuda_path)
    check = "k-means 1M x 8, k = 16, k-means++ x 3 + Hartigan: fit seconds"
    if missing(check, cpu, cuda):
        return
    # Iterations and moves are reported, not required equal: the twins' sums differ in the last
    # bits, which can move a tol-based stop or a borderline move by one.
    rel = abs(cpu["inertia"] - cuda["inertia"]) / max(abs(cpu["inertia"]), 1e-300)
    verdict = "ok" if rel <= 1e-5 else "FAIL"
    row(check, seconds(cpu["seconds"]), seconds(cuda["seconds"]),
        speedup(cpu["seconds"], cuda["seconds"]),
        f"{verdict}: inertia relative difference {rel:.2g}, {cpu['iterations']}/"
        f"{cuda['iterations']} iterations, {cpu['refine_moves']}/{cuda['refine_moves']} rows "
        f"moved")


def kmeans_streamed(resident_path, streamed_path, bandwidth_path=None):
    """The same fit and passes on the device's twin with x streamed through in chunks: the
    results must be the same bits (kernels/kmeans_chunked.hpp); the pass is compared with its
    floor, the streamed bytes over the pageable host-to-device bandwidth."""
    resident, streamed = load(resident_path), load(streamed_path)
    check = "k-means streamed in chunks: one Lloyd pass (cuda column)"
    if missing(check, resident, streamed):
        return
    if "streamed_bytes_per_pass" not in streamed or "seconds_per_pass" not in resident:
        row(check, "-", "-", "-", "FAIL: no chunked pass timing")
        return
    check = (f"k-means {streamed['rows'] / 1e6:g}M x {streamed['cols']}, k = {streamed['k']}, "
             f"chunks of {streamed['chunk_rows']} rows, {streamed['resident_chunks']} resident: "
             "one Lloyd pass (cuda column)")
    same = (resident["inertia"] == streamed["inertia"]
            and resident["iterations"] == streamed["iterations"]
            and resident["pass_inertia"] == streamed["pass_inertia"])
    verdict = "ok: same inertia bits as resident" if same else (
        f"FAIL: inertia {streamed['inertia']!r} vs resident {resident['inertia']!r}, "
        f"iterations {streamed['iterations']} vs {resident['iterations']}")
    bandwidth = load(bandwidth_path) if bandwidth_path else None
    detail = f"resident pass {resident['seconds_per_pass'] * 1e3:.3g} ms"
    if bandwidth is not None and bandwidth.get("h2d_pageable_gb_per_s"):
        floor_s = streamed["streamed_bytes_per_pass"] / (bandwidth["h2d_pageable_gb_per_s"] * 1e9)
        detail += (f"; floor {floor_s * 1e3:.3g} ms = "
                   f"{streamed['streamed_bytes_per_pass'] / 1e6:.0f} MB / "
                   f"{bandwidth['h2d_pageable_gb_per_s']:.1f} GB/s host-to-device (pageable); "
                   f"streamed pass = {streamed['seconds_per_pass'] / floor_s:.2f}x floor")
    row(check, "-", seconds(streamed["seconds_per_pass"]), "-", f"{verdict}; {detail}")


def logistic(label, cpu_path, cuda_path):
    cpu, cuda = load(cpu_path), load(cuda_path)
    check = f"logistic fit {label} (L2, C = 1, tol 1e-8)"
    if missing(check, cpu, cuda):
        return
    loss = abs(cpu["log_loss"] - cuda["log_loss"])
    coef = max(abs(a - b) for a, b in zip(cpu["coef"] + [cpu["intercept"]],
                                          cuda["coef"] + [cuda["intercept"]]))
    good = loss <= 1e-9 and coef <= 1e-5 and cpu["converged"] and cuda["converged"]
    detail = (f"log-loss difference {loss:.2g}, coefficients max difference {coef:.2g}, "
              f"{cpu['solver']} {cpu['iterations']}/{cuda['iterations']} iterations"
              + ("" if cpu["converged"] and cuda["converged"] else ", NOT converged"))
    row(check, seconds(cpu["seconds"]), seconds(cuda["seconds"]),
        speedup(cpu["seconds"], cuda["seconds"]), ("ok: " if good else "FAIL: ") + detail)


def offers(cpu_path, cuda_path, bandwidth_path=None):
    """offers_driver on both devices: the passes must agree bit for bit (kernels/offers.hpp)."""
    cpu, cuda = load(cpu_path), load(cuda_path)
    shape = "?" if cpu is None else f"{cpu['customers'] / 1e6:g}M x {cpu['offers']}"
    check = f"offer assignment pass {shape} (data on the device, slots copied back)"
    if missing(check, cpu, cuda):
        return
    differ = [key for key in ("usage", "value", "relaxed_reduced", "slots_hash")
              if cpu.get(key) != cuda.get(key)]
    bandwidth = load(bandwidth_path) if bandwidth_path else None
    if bandwidth is None:
        floor = "no bandwidth probe (cpu test mode or probe failed)"
    else:
        floor_s = cuda["bytes_per_pass"] / (bandwidth["read_gb_per_s"] * 1e9)
        floor = (f"floor {floor_s * 1e3:.3g} ms = {cuda['bytes_per_pass'] / 1e6:.0f} MB / "
                 f"{bandwidth['read_gb_per_s']:.0f} GB/s read; cuda pass = "
                 f"{cuda['seconds_per_pass'] / floor_s:.2f}x floor")
    passes = len(cpu.get("value", []))
    verdict = (f"ok: {passes} passes identical" if not differ
               else f"FAIL: {', '.join(differ)} differ")
    row(check, seconds(cpu["seconds_per_pass"]), seconds(cuda["seconds_per_pass"]),
        speedup(cpu["seconds_per_pass"], cuda["seconds_per_pass"]),
        f"{verdict}; upload {cuda['upload_seconds']:.3g} s; {floor}")


def read_array(kind, path):
    values = array.array(kind)
    with open(path, "rb") as f:
        values.frombytes(f.read())
    if sys.byteorder != "little":
        values.byteswap()
    return values


def score(cpu_path, cuda_path, cpu_prob, cuda_prob, cpu_labels, cuda_labels):
    cpu, cuda = load(cpu_path), load(cuda_path)
    check = "scoring (logistic 32 cols + k-means 8 cols, k = 16): customers/s"
    if missing(check, cpu, cuda):
        return
    check = f"scoring {cpu['rows'] / 1e6:g}M customers (logistic 32 cols + k-means 8 cols, k = 16): customers/s"
    try:
        p, q = read_array("d", cpu_prob), read_array("d", cuda_prob)
        a, b = read_array("i", cpu_labels), read_array("i", cuda_labels)
    except OSError as error:
        row(check, "-", "-", "-", f"FAIL: {error}")
        return
    rows = cpu["rows"]
    if not (len(p) == len(q) == len(a) == len(b) == rows):
        row(check, "-", "-", "-", "FAIL: output lengths differ from the row count")
        return
    worst = max(abs(x - y) for x, y in zip(p, q))
    differ = sum(1 for x, y in zip(a, b) if x != y)
    good = worst <= 1e-9 and differ <= rows // 1_000_000
    rate = lambda r: f"{r['customers_per_second'] / 1e6:.3g}M/s"
    row(check, rate(cpu), rate(cuda), f"{cuda['customers_per_second'] / cpu['customers_per_second']:.2f}x",
        ("ok: " if good else "FAIL: ") + f"probabilities max difference {worst:.2g}, "
        f"{differ} labels differ")


def is_float(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def nightly_total(table_path):
    """The last row's `total s` of a bench/nightly_scale.sh table, or None."""
    try:
        with open(table_path) as f:
            rows = [line for line in f if line.startswith("| ") and line[2].isdigit()]
        return float(rows[-1].split("|")[4])
    except (OSError, IndexError, ValueError):
        return None


def nightly(cpu_dir, cuda_dir, cpu_table, cuda_table):
    check = "nightly `cie run`: wall time"
    cpu_s, cuda_s = nightly_total(cpu_table), nightly_total(cuda_table)
    if missing(check, cpu_s, cuda_s):
        return
    devices = []
    for d in (cpu_dir, cuda_dir):
        report = load_report(os.path.join(d, "run_report.json"))
        devices.append(report.get("device", "?") if report else "?")
    paths = [os.path.join(d, "customers.csv") for d in (cpu_dir, cuda_dir)]
    try:
        tables = []
        for path in paths:
            with open(path, newline="") as f:
                tables.append(list(csv.reader(f)))
    except OSError as error:
        row(check, seconds(cpu_s), seconds(cuda_s), "-", f"FAIL: {error}")
        return
    (header, *a), (header_b, *b) = tables
    check = f"nightly `cie run`, {len(a):,} customers: wall time"
    if header != header_b or len(a) != len(b):
        row(check, seconds(cpu_s), seconds(cuda_s), speedup(cpu_s, cuda_s),
            f"FAIL: header or row count differs ({len(a)} vs {len(b)} rows)")
        return
    worst, mismatches = 0.0, {}
    for j, name in enumerate(header):
        differ = [(x[j], y[j]) for x, y in zip(a, b) if x[j] != y[j]]
        if not differ:
            continue
        probability = name.startswith("p_") or "probability" in name
        if probability and all(is_float(x) and is_float(y) for x, y in differ):
            worst = max(worst, max(abs(float(x) - float(y)) for x, y in differ))
            if worst > 1e-9:
                mismatches[name] = len(differ)
        else:
            mismatches[name] = len(differ)
    if mismatches:
        verdict = "FAIL: customers.csv differs in " + ", ".join(
            f"{name} ({count} rows)" for name, count in mismatches.items())
    else:
        verdict = (f"ok: customers.csv ({len(a)} rows, {len(header)} columns) equal, "
                   f"probabilities within {worst:.2g}")
    verdict += f" (run_report devices: {devices[0]} / {devices[1]})"
    row(check, seconds(cpu_s), seconds(cuda_s), speedup(cpu_s, cuda_s), verdict)


def clv(model, cpu_s, cuda_s, cpu_path, cuda_path):
    check = f"`cie clv fit` {model}, 1M customers: wall time"
    cpu_s = None if cpu_s in ("", "-") else float(cpu_s)
    cuda_s = None if cuda_s in ("", "-") else float(cuda_s)
    cpu, cuda = load_report(cpu_path), load_report(cuda_path)
    if missing(check, cpu, cuda):
        return
    worst_param = worst_ll = 0.0
    try:
        for part in ("transactions", "spend"):
            if not cpu.get("fitted", {}).get(part):  # no spend model: null
                continue
            a, b = cpu["fitted"][part]["parameters"], cuda["fitted"][part]["parameters"]
            for name, value in a.items():
                worst_param = max(worst_param, abs(b[name] - value) / abs(value))
            la = cpu["training_metrics"][part]["log_likelihood"]
            lb = cuda["training_metrics"][part]["log_likelihood"]
            worst_ll = max(worst_ll, abs(lb - la) / abs(la))
    except (KeyError, TypeError, ZeroDivisionError):
        row(check, seconds(cpu_s), seconds(cuda_s), "-", "FAIL: the two model files differ in form")
        return
    ok = worst_param <= 1e-6 and worst_ll <= 1e-9  # NaN fails
    verdict = (f"{'ok' if ok else 'FAIL'}: parameters within {worst_param:.1e}, "
               f"log-likelihood within {worst_ll:.1e} relative")
    row(check, seconds(cpu_s), seconds(cuda_s), speedup(cpu_s, cuda_s), verdict)


def gbdt(cpu_path, cuda_path, cpu_model, cuda_model, cpu_margin, cuda_margin):
    cpu, cuda = load(cpu_path), load(cuda_path)
    check = "gbdt fit (200 trees, 63 leaves, 255 bins)"
    if missing(check, cpu, cuda):
        return
    shape = f"{cpu['rows'] / 1e6:g}M x {cpu['cols']}, {cpu['trees']} trees"
    a, b = load_report(cpu_model), load_report(cuda_model)
    if a is None or b is None:
        row(f"gbdt fit {shape}", seconds(cpu["train_seconds"]), seconds(cuda["train_seconds"]),
            speedup(cpu["train_seconds"], cuda["train_seconds"]), "FAIL: a model file is missing")
        return
    ta, tb = a["trees"], b["trees"]
    keys = ("roots", "feature", "left", "right", "threshold", "bin", "default_left", "categories")
    differ = [key for key in keys if ta.get(key) != tb.get(key)]
    worst = 0.0
    if not differ and len(ta["value"]) == len(tb["value"]):
        worst = max((abs(x - y) / max(abs(x), 1e-300) for x, y in zip(ta["value"], tb["value"])
                     if x != y), default=0.0)
    elif not differ:
        differ = ["value (count)"]
    exact = not differ and a == b
    if differ:
        verdict = "FAIL: the trees differ in " + ", ".join(differ)
    elif worst > 1e-9:
        verdict = f"FAIL: leaf values differ by {worst:.2g} relative"
    else:
        verdict = (f"ok: trees equal ({len(ta['feature'])} nodes), leaf values max relative "
                   f"difference {worst:.2g}" + ("; whole model files identical" if exact else ""))
    row(f"gbdt fit {shape}: seconds", seconds(cpu["train_seconds"]),
        seconds(cuda["train_seconds"]), speedup(cpu["train_seconds"], cuda["train_seconds"]),
        verdict)
    check = f"gbdt scoring {cpu['rows'] / 1e6:g}M rows x {cpu['trees']} trees: seconds"
    try:
        p, q = read_array("d", cpu_margin), read_array("d", cuda_margin)
    except OSError as error:
        row(check, "-", "-", "-", f"FAIL: {error}")
        return
    if not (len(p) == len(q) == cpu["rows"]):
        row(check, "-", "-", "-", "FAIL: margin files' lengths differ from the row count")
        return
    gap = max((abs(x - y) for x, y in zip(p, q)), default=0.0)
    row(check, seconds(cpu["score_seconds"]), seconds(cuda["score_seconds"]),
        speedup(cpu["score_seconds"], cuda["score_seconds"]),
        ("ok" if gap <= 1e-9 else "FAIL") + f": margins max difference {gap:.2g}")


def main(argv):
    commands = {"rfm": rfm, "kmeans": kmeans, "kmeans_refined": kmeans_refined,
                "offers": offers,
                "kmeans_streamed": kmeans_streamed,
                "logistic": logistic, "score": score, "clv": clv, "nightly": nightly,
                "gbdt": gbdt}
    if len(argv) < 2 or argv[1] not in commands:
        sys.exit(__doc__)
    commands[argv[1]](*argv[2:])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv)
