"""`cie clv predict --p-purchases K` for BG/BB against Fader, Hardie & Shang (2010) in scipy.

On the donations data (11,104 donors in 22 weighted rows, 6 opportunities), `cie clv fit
--model-type bgbb` then `cie clv predict --horizon N --p-purchases K` writes, per donor,
P(X(n, n + N) = k | x, t_x, n) for k = 0..K. Here that probability is evaluated directly from
FHS 2010's conditional pmf at cie's fitted parameters (scipy.special.betaln and comb; cie
regroups it as P(alive) times a new customer's pmf at the posterior parameters):

  P(k | x, t_x, n) = [k = 0] (1 − A/L)
                   + 1/L · C(N, k) B(α+x+k, β+n−x+N−k)/B(α,β) · B(γ, δ+n+N)/B(γ,δ)
                   + 1/L · Σ_{i=0}^{N−1} C(i, k) B(α+x+k, β+n−x+i−k)/B(α,β) · B(γ+1, δ+n+i)/B(γ,δ)

with A = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ) and L the donor's likelihood (FHS 2010 eq. 5).
Checked: every probability to 1e-12 absolute and 1e-9 relative, for N = 5 with K = 5 (each row
then sums to 1 and its mean equals the expected transactions column) and N = 3 with K = 2; a
horizon that is not a whole number of opportunities is a usage error (exit 2).
Nothing here calls cie's code except through the command line.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile

import json
import numpy as np
import pandas as pd
from scipy.special import betaln, comb


def run_cie(cie, args, expect=0):
    result = subprocess.run([cie, "--log-level", "warn", "clv", *args], capture_output=True,
                            text=True)
    if result.returncode != expect:
        sys.exit(f"cie clv {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def log_likelihood(params, x, tx, n):
    a, b, g, d = params
    terms = [betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)]
    for i in range(int(n.max())):
        terms.append(np.where(i < n - tx, betaln(a + x, b + tx - x + i) - betaln(a, b)
                              + betaln(g + 1, d + tx + i) - betaln(g, d), -np.inf))
    return np.logaddexp.reduce(np.vstack(terms), axis=0)


def conditional_pmf(params, k, horizon, x, tx, n):
    a, b, g, d = params
    likelihood = np.exp(log_likelihood(params, x, tx, n))
    alive = np.exp(betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d))
    value = (1.0 - alive / likelihood) if k == 0 else np.zeros_like(x)
    value = value + comb(horizon, k) * np.exp(
        betaln(a + x + k, b + n - x + horizon - k) - betaln(a, b) + betaln(g, d + n + horizon)
        - betaln(g, d)) / likelihood
    for i in range(horizon):
        if comb(i, k) == 0:
            continue
        value = value + comb(i, k) * np.exp(
            betaln(a + x + k, b + n - x + i - k) - betaln(a, b) + betaln(g + 1, d + n + i)
            - betaln(g, d)) / likelihood
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    failures = []
    path = args.data / "donations-bgbb" / "donations.csv"
    s = pd.read_csv(path)
    x, tx, n = (s[c].to_numpy(float) for c in ["frequency", "recency", "periods"])
    summary = ["--summary", str(path), "--id-col", "", "--T-col", "periods", "--weights-col",
               "weights"]
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        model = work / "bgbb.json"
        run_cie(args.cie, ["fit", *summary, "--model-type", "bgbb", "--model", str(model)])
        doc = json.loads(model.read_text())
        fitted = doc["fitted"]["transactions"]["parameters"]
        params = [fitted[k] for k in ["alpha", "beta", "gamma", "delta"]]
        print(f"Donations, BG/BB at cie's parameters {params}:")
        for horizon, top in [(5, 5), (3, 2)]:
            out = work / f"p{horizon}.csv"
            run_cie(args.cie, ["predict", *summary, "--model", str(model), "--horizon",
                               str(horizon), "--p-purchases", str(top), "--out", str(out)])
            got = pd.read_csv(out)
            worst_abs = worst_rel = 0.0
            for k in range(top + 1):
                ref = conditional_pmf(params, k, horizon, x, tx, n)
                ours = got[f"p_purchases_{k}"].to_numpy()
                worst_abs = max(worst_abs, float(np.max(np.abs(ours - ref))))
                worst_rel = max(worst_rel, float(np.max(np.abs(ours - ref) / np.abs(ref))))
            ok = worst_abs <= 1e-12 and worst_rel <= 1e-9
            print(f"  N = {horizon}, k = 0..{top}: max abs diff {worst_abs:.1e}, rel {worst_rel:.1e}"
                  f" {'ok' if ok else 'MISMATCH'}")
            if not ok:
                failures.append(f"pmf N={horizon}")
            if top == horizon:
                probs = np.column_stack([got[f"p_purchases_{k}"] for k in range(top + 1)])
                total = np.max(np.abs(probs.sum(axis=1) - 1.0))
                mean = np.max(np.abs(probs @ np.arange(top + 1) - got["expected_purchases"]))
                ok = total <= 1e-12 and mean <= 1e-10
                print(f"  rows sum to 1 within {total:.1e}, means equal expected_purchases within "
                      f"{mean:.1e} {'ok' if ok else 'MISMATCH'}")
                if not ok:
                    failures.append("pmf sums")
            if horizon == 5:
                first = got.iloc[0]
                print(f"  donor row 1 (x = {x[0]:.0f}, t_x = {tx[0]:.0f}, n = {n[0]:.0f}): "
                      + ", ".join(f"P({k}) = {first[f'p_purchases_{k}']:.6f}" for k in range(3)))
        refused = run_cie(args.cie, ["predict", *summary, "--model", str(model), "--horizon", "2.5",
                                     "--p-purchases", "1", "--out", str(work / "q.csv")], expect=2)
        if "whole number" not in refused.stderr:
            failures.append("fractional horizon message")
    print("all checks passed" if not failures else f"FAILED: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
