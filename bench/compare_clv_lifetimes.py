"""cie clv against lifetimes on generated customers: BG/NBD + Gamma-Gamma fit and predictions.

For each size: `cie gen` customers, `cie rfm --time-unit weeks --returns exclude` for the
lifetimes summary, then alternately
  cie:       `cie clv fit --summary --spend gamma-gamma` + `cie clv predict --horizon 52`
  lifetimes: BetaGeoFitter + GammaGammaFitter fits, conditional expected purchases (52 weeks),
             P(alive), expected spend and customer_lifetime_value (12 months, 1%), in a Python
             that has lifetimes (--lifetimes-python; lifetimes is not in the project's venv)
and reports CPU seconds (user + system, /usr/bin/time -v: wall times mean little on a shared
machine), wall seconds, peak RSS, the BG/NBD log-likelihood of each tool's
parameters (evaluated here, numpy) and the largest relative parameter difference.

The first table is the fair comparison, in process on the same summary arrays: each tool's Python
reads the summary CSV into pandas (not timed), then times the same fits and predictions (cie's
estimators cie.clv.BetaGeo and GammaGamma with --cie-python, whose `import cie` must find the
package; lifetimes with --lifetimes-python), each in its own process, alternately. The second
table is the CLI end to end (two `cie` processes reading the CSV). cie runs on --threads threads
(default 1, a one-core comparison: cie's default, 0, takes every core whatever OMP_NUM_THREADS
says); set OMP_NUM_THREADS=1 too, for lifetimes' numpy. In process, RSS is the process's own
from /proc/self/status: VmRSS before the fits, then VmHWM after the predictions, the peak reset to
the current RSS (/proc/self/clear_refs) before the fits so that reading the CSV does not count.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from scipy.special import gammaln

LIFETIMES = r'''
import sys, json, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_csv(sys.argv[1], usecols=["repeat_frequency", "repeat_recency", "T", "mean_repeat_value"])
x, tx, T, m = s["repeat_frequency"], s["repeat_recency"], s["T"], s["mean_repeat_value"]
t0 = time.process_time()
bgf = BetaGeoFitter().fit(x, tx, T)
rep = (x > 0) & (m > 0)
ggf = GammaGammaFitter().fit(x[rep], m[rep])
t1 = time.process_time()
e = bgf.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T)
p = bgf.conditional_probability_alive(x, tx, T)
v = ggf.conditional_expected_average_profit(x.where(rep, 0), m.where(rep, 0))
clv = ggf.customer_lifetime_value(bgf, x, tx, T, m.where(rep, 0), time=12, discount_rate=0.01, freq="W")
t2 = time.process_time()
print(json.dumps({"bgnbd": list(bgf.params_.values), "gg": list(ggf.params_.values),
                  "fit_s": t1 - t0, "predict_s": t2 - t1}))
'''


IN_PROCESS = r'''
import json, re, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
s = pd.read_csv(sys.argv[2], usecols=["repeat_frequency", "repeat_recency", "T", "mean_repeat_value"])
x, tx, T, m = s["repeat_frequency"], s["repeat_recency"], s["T"], s["mean_repeat_value"]
rep = (x > 0) & (m > 0)
m0 = m.where(rep, 0)
if sys.argv[1] == "cie":
    import functools
    from cie.clv import BetaGeo, GammaGamma
    BG = functools.partial(BetaGeo, threads=int(sys.argv[3]))
    GG = functools.partial(GammaGamma, threads=int(sys.argv[3]))
    clv_args = {}
else:
    from lifetimes import BetaGeoFitter as BG, GammaGammaFitter as GG
    clv_args = {"freq": "W"}
def status_mib(field):  # /proc/self/status: this process's own (ru_maxrss carries the parent's)
    return int(re.search(field + r":\s+(\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
rss_before = status_mib("VmRSS")
try:  # reset VmHWM to the current RSS, so that the peak is the fits' and predictions', not the CSV's
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
c0, w0 = time.process_time(), time.perf_counter()
bgf = BG().fit(x, tx, T)
ggf = GG().fit(x[rep], m[rep])
c1, w1 = time.process_time(), time.perf_counter()
e = bgf.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T)
p = bgf.conditional_probability_alive(x, tx, T)
v = ggf.conditional_expected_average_profit(x, m0)
clv = ggf.customer_lifetime_value(bgf, x, tx, T, m0, time=12, discount_rate=0.01, **clv_args)
c2, w2 = time.process_time(), time.perf_counter()
print(json.dumps({"bgnbd": [float(v) for v in bgf.params_.values],
                  "gg": [float(v) for v in ggf.params_.values],
                  "fit_s": c1 - c0, "predict_s": c2 - c1, "wall_s": w2 - w0,
                  "rss_before": rss_before,
                  "rss_peak": status_mib("VmHWM"),
                  "sum_e": float(sum(e)), "sum_clv": float(sum(clv))}))
'''


def timed(cmd):
    start = time.perf_counter()
    # Idle OpenMP threads sleep instead of spinning, as in bench/compare.
    env = {**os.environ, "OMP_WAIT_POLICY": "passive"}
    result = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {result.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", result.stderr).group(1))
              for kind in ["User", "System"])
    return cpu, wall, rss / 1024, result.stdout


def bgnbd_ll(params, x, tx, T):
    r, alpha, a, b = params
    a4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx),
                  -np.inf)
    return float(np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b)
                        + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
                        + np.logaddexp(-(r + x) * np.log(alpha + T), a4)))


def gamma_gamma_ll(params, x, m):
    p, q, v = params
    use = (x > 0) & (m > 0)
    x, m = x[use], m[use]
    return float(np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
                        + (p * x - 1) * np.log(m) + p * x * np.log(x)
                        - (p * x + q) * np.log(v + m * x)))


def in_process(python, tool, summary, script, threads):
    out = subprocess.run([python, str(script), tool, str(summary), str(threads)], capture_output=True, text=True,
                         env={**os.environ, "OMP_WAIT_POLICY": "passive"})
    if out.returncode != 0:
        sys.exit(f"{tool} in process failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--lifetimes-python", required=True)
    parser.add_argument("--cie-python", default=sys.executable,
                        help="a Python whose `import cie` finds the package (default: this one)")
    parser.add_argument("--customers", type=int, nargs="+", default=[100000])
    parser.add_argument("--threads", type=int, default=1, help="cie's threads (0: all cores)")
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process table")
    args = parser.parse_args()
    rows, fair = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        for n in args.customers:
            data = work / f"gen{n}"
            subprocess.run([args.cie, "--log-level", "warn", "gen", "--customers", str(n), "--seed",
                            "7", "--out", str(data)], check=True, capture_output=True)
            summary = work / f"rfm{n}.csv"
            subprocess.run([args.cie, "--log-level", "warn", "rfm", "--transactions",
                            str(data / "transactions.csv"), "--time-unit", "weeks", "--returns",
                            "exclude", "--out", str(summary)], check=True, capture_output=True)
            script = work / "in_process.py"
            script.write_text(IN_PROCESS)
            ours = in_process(args.cie_python, "cie", summary, script, args.threads)
            theirs = in_process(args.lifetimes_python, "lifetimes", summary, script, 1)
            s = pd.read_csv(summary, usecols=["repeat_frequency", "repeat_recency", "T",
                                              "mean_repeat_value"])
            x, tx, T, m = (s[c].to_numpy(float) for c in
                           ["repeat_frequency", "repeat_recency", "T", "mean_repeat_value"])
            ll = [bgnbd_ll(r["bgnbd"], x, tx, T) for r in (ours, theirs)]
            gll = [gamma_gamma_ll(r["gg"], x, m) for r in (ours, theirs)]
            cie_s, lt_s = ours["fit_s"] + ours["predict_s"], theirs["fit_s"] + theirs["predict_s"]
            fair.append(
                f"| {n:,} | {ours['fit_s']:.3f} + {ours['predict_s']:.3f} s "
                f"({ours['rss_before']:.0f} -> {ours['rss_peak']:.0f} MiB) | "
                f"{theirs['fit_s']:.2f} + {theirs['predict_s']:.2f} s "
                f"({theirs['rss_before']:.0f} -> {theirs['rss_peak']:.0f} MiB) | "
                f"{theirs['fit_s'] / ours['fit_s']:.0f}x / {theirs['predict_s'] / ours['predict_s']:.0f}x"
                f" / **{lt_s / cie_s:.0f}x** | {abs(ll[0] - ll[1]) / abs(ll[0]):.1e} | "
                f"{abs(gll[0] - gll[1]) / abs(gll[0]):.1e} | "
                f"{abs(ours['sum_clv'] / theirs['sum_clv'] - 1):.1e} |")
            print(fair[-1], flush=True)
            if args.skip_cli:
                continue
            cols = ["--frequency-col", "repeat_frequency", "--recency-col", "repeat_recency",
                    "--value-col", "mean_repeat_value"]
            model = work / "clv.json"
            fit_s, fit_wall, fit_rss, _ = timed([args.cie, "--log-level", "warn", "--threads", str(args.threads), "clv", "fit", "--summary",
                                       str(summary), *cols, "--spend", "gamma-gamma", "--model",
                                       str(model)])
            pred_s, pred_wall, pred_rss, _ = timed([args.cie, "--log-level", "warn", "--threads", str(args.threads), "clv", "predict",
                                         "--summary", str(summary), *cols, "--model", str(model),
                                         "--horizon", "52", "--out", str(work / "clv.csv")])
            script = work / "lifetimes_run.py"
            script.write_text(LIFETIMES)
            lt_s, lt_wall, lt_rss, out = timed([args.lifetimes_python, str(script), str(summary)])
            lt = json.loads(out.strip().splitlines()[-1])
            doc = json.loads(model.read_text())
            ours = [doc["fitted"]["transactions"]["parameters"][k] for k in ["r", "alpha", "a", "b"]]
            ours_gg = [doc["fitted"]["spend"]["parameters"][k] for k in ["p", "q", "gamma"]]
            s = pd.read_csv(summary, usecols=["repeat_frequency", "repeat_recency", "T"])
            x, tx, T = (s[c].to_numpy(float) for c in ["repeat_frequency", "repeat_recency", "T"])
            ll_cie, ll_lt = bgnbd_ll(ours, x, tx, T), bgnbd_ll(lt["bgnbd"], x, tx, T)
            diff = max(np.max(np.abs(np.array(ours) / np.array(lt["bgnbd"]) - 1)),
                       np.max(np.abs(np.array(ours_gg) / np.array(lt["gg"]) - 1)))
            rows.append(f"| {n:,} | {fit_s:.2f} + {pred_s:.2f} s (wall {fit_wall + pred_wall:.1f} s; "
                        f"{fit_rss:.0f}/{pred_rss:.0f} MiB) | {lt_s:.2f} s (fit {lt['fit_s']:.2f}, "
                        f"predict {lt['predict_s']:.2f}; wall {lt_wall:.1f} s; {lt_rss:.0f} MiB) | "
                        f"{lt_s / (fit_s + pred_s):.1f}x | {ll_cie:.6f} | "
                        f"{ll_lt:.6f} | {abs(ll_cie - ll_lt) / abs(ll_cie):.1e} | {diff:.1e} |")
            print(rows[-1], flush=True)
    print("In process, same summary arrays (CPU s of fit + predictions; RSS before -> peak):")
    print("| customers | cie.clv | lifetimes | ratio fit / predict / **total** | "
          "BG/NBD LL rel diff | Gamma-Gamma LL rel diff | total CLV rel diff |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(fair))
    if args.skip_cli:
        return
    print("\nCLI end to end (two cie processes reading the summary CSV) against lifetimes:")
    print("| customers | cie fit + predict, CPU s (peak RSS fit/predict) | lifetimes, CPU s | "
          "CPU ratio | "
          "BG/NBD LL at cie's params | at lifetimes' | rel diff | max rel param diff |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
