"""`cie clv`: the modified BG/NBD, P(n purchases) and the tracking series, against scipy/pandas.

Everything here is written from the papers and lifetimes 0.11.3's formulas with numpy/scipy and
pandas, not cie's code (which is only run through its command line):
  * the modified BG/NBD (Batislam, Denizel & Filiztekin 2007; lifetimes' ModifiedBetaGeoFitter
    likelihood) fitted on the CDNOW calibration summary equals a Nelder-Mead fit of that
    likelihood to 1e-4 relative (parameters and log-likelihood), and lifetimes 0.11.3's fit of the
    same file (r=0.5248, alpha=6.1830, a=0.8914, b=1.6140, measured side by side) to its printed
    digits; its P(alive) and conditional expected purchases equal lifetimes' formulas (Wagner &
    Hoppe 2008) evaluated with scipy.special.hyp2f1;
  * `predict --p-purchases 3` for BG/NBD and the modified BG/NBD: P(n purchases in (T, T+t]) for
    n = 0..3 equals P(alive) times lifetimes' probability_of_n_purchases_up_to_time at the
    posterior parameters (r+x, alpha+T, a, b+x [+1]) plus the dropped-out mass at n = 0; for the
    customers with x = t_x = T = 0 that is lifetimes' unconditional function itself; and the
    modified model's unconditional P(n) at T = 0 equals lifetimes' modified formula; for
    Pareto/NBD P(n) equals lifetimes' conditional_probability_of_n_purchases_up_to_time (Fader &
    Hardie's note 028, eq. 16, with hypergeometric functions) ported here, to 1e-9;
  * `evaluate --tracking-out` on CDNOW_sample (calibration to 1997-09-30, holdout to 1998-06-30,
    78 weeks): the weekly cumulative actual repeat purchase days equal pandas' count, and the
    expected series equals lifetimes' expected_cumulative_transactions algorithm (freq "D",
    freq_multiplier 7) ported here, with each model's expected_number_of_purchases_up_to_time, for
    bgnbd, mbgnbd and pareto-nbd.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import beta as beta_fn
from scipy.special import betaln, gamma, gammaln, hyp2f1, logsumexp


def run_cie(cie, args):
    result = subprocess.run([cie, "--log-level", "warn", "clv", *args], capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"cie clv {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def fitted(path):
    doc = json.loads(pathlib.Path(path).read_text())
    part = doc["fitted"]["transactions"]
    names = {"pareto-nbd": ["r", "alpha", "s", "beta"]}.get(part["model"], ["r", "alpha", "a", "b"])
    return (np.array([part["parameters"][k] for k in names]),
            doc["training_metrics"]["transactions"]["log_likelihood"])


def close(name, ours, theirs, rel, failures, floor=1e-300):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    err = np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), floor))
    ok = bool(err <= rel)
    print(f"  {name}: max rel diff {err:.2e} (limit {rel:g}) {'ok' if ok else 'MISMATCH'}")
    if not ok:
        failures.append(name)


def mbgnbd_ll(params, x, tx, T):
    """lifetimes' ModifiedBetaGeoFitter._negative_log_likelihood, negated and summed."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return float(np.sum(a1 + a2 + a3 + np.logaddexp(a4, 0)))


def nelder_mead(loglik, start, n):
    def objective(theta):
        value = -loglik(np.exp(theta)) / n
        return value if np.isfinite(value) else 1e300
    theta = np.log(np.asarray(start, dtype=float))
    for _ in range(20):
        result = minimize(objective, theta, method="Nelder-Mead",
                          options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 40000,
                                   "maxfev": 80000})
        moved = np.max(np.abs(result.x - theta))
        theta = result.x
        if moved < 1e-10:
            break
    return np.exp(theta), loglik(np.exp(theta))


def lifetimes_pmf(params, t, n, modified):
    """lifetimes' probability_of_n_purchases_up_to_time (BetaGeoFitter or the modified one)."""
    r, alpha, a, b = params
    j = np.arange(0, n)
    nb = gamma(r + n) / gamma(r) / gamma(n + 1) * (alpha / (alpha + t)) ** r * (t / (alpha + t)) ** n
    finite_sum = (gamma(r + j) / gamma(r) / gamma(j + 1) * (t / (alpha + t)) ** j).sum()
    tail = 1 - (alpha / (alpha + t)) ** r * finite_sum
    if modified:
        return beta_fn(a, b + n + 1) / beta_fn(a, b) * nb + beta_fn(a + 1, b + n) / beta_fn(a, b) * tail
    first = beta_fn(a, b + n) / beta_fn(a, b) * nb
    second = beta_fn(a + 1, b + n - 1) / beta_fn(a, b) * tail if n > 0 else 0.0
    return first + second


def p_alive(params, x, tx, T, modified):
    r, alpha, a, b = params
    if modified:
        return 1.0 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    if x == 0:
        return 1.0
    return 1.0 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def mbgnbd_expected(params, t, x, tx, T):
    """lifetimes' ModifiedBetaGeoFitter.conditional_expected_number_of_purchases_up_to_time."""
    r, alpha, a, b = params
    hyp = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    numerator = (a + b + x) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x))
    return numerator / (1 + (a / (b + x)) * ((alpha + T) / (alpha + tx)) ** (r + x))


def summary_args(path):
    return ["--summary", str(path), "--id-col", "ID"]


def check_mbgnbd(cie, data, work, failures):
    path = data / "cdnow" / "cdnow_customers_summary.csv"
    s = pd.read_csv(path)
    x, tx, T = (s[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    model = work / "mbgnbd.json"
    run_cie(cie, ["fit", *summary_args(path), "--model-type", "mbgnbd", "--model", str(model)])
    ours, ours_ll = fitted(model)
    ref, ref_ll = nelder_mead(lambda p: mbgnbd_ll(p, x, tx, T), [1, 1, 1, 1], len(x))
    print(f"CDNOW summary, modified BG/NBD: cie {np.round(ours, 6)} LL {ours_ll:.6f}; "
          f"scipy {np.round(ref, 6)} LL {ref_ll:.6f}")
    close("parameters vs scipy", ours, ref, 1e-4, failures)
    close("log-likelihood vs scipy", [ours_ll], [ref_ll], 1e-4, failures)
    lifetimes = ["0.5248", "6.1830", "0.8914", "1.6140"]
    if [f"{v:.4f}" for v in ours] != lifetimes:
        print(f"  MISMATCH with lifetimes 0.11.3's fit {lifetimes}")
        failures.append("mbgnbd vs lifetimes' printed digits")

    out = work / "mbgnbd.csv"
    run_cie(cie, ["predict", *summary_args(path), "--model", str(model), "--horizon", "39",
                  "--p-purchases", "3", "--out", str(out)])
    got = pd.read_csv(out)
    alive = np.array([p_alive(ours, *v, True) for v in zip(x, tx, T)])
    close("P(alive) vs lifetimes' formula", got["p_alive"], alive, 1e-12, failures)
    close("expected purchases (39 weeks) vs lifetimes' formula", got["expected_purchases"],
          mbgnbd_expected(ours, 39.0, x, tx, T), 1e-9, failures)
    return ours


def check_pmf(cie, data, work, failures, model_type, horizon):
    path = data / "cdnow" / "cdnow_customers_summary.csv"
    s = pd.read_csv(path)
    # A few new customers (x = t_x = T = 0) whose P(n) is the unconditional one.
    new = pd.DataFrame({"ID": ["new1", "new2"], "frequency": [0, 0], "recency": [0.0, 0.0],
                        "T": [0.0, 0.0]})
    s = pd.concat([s, new], ignore_index=True)
    path = work / f"with_new_{model_type}.csv"
    s.to_csv(path, index=False)
    model = work / f"pmf_{model_type}.json"
    run_cie(cie, ["fit", "--summary", str(data / "cdnow" / "cdnow_customers_summary.csv"),
                  "--id-col", "ID", "--model-type", model_type, "--model", str(model)])
    params, _ = fitted(model)
    out = work / f"pmf_{model_type}.csv"
    run_cie(cie, ["predict", *summary_args(path), "--model", str(model), "--horizon", str(horizon),
                  "--p-purchases", "3", "--out", str(out)])
    got = pd.read_csv(out)
    modified = model_type == "mbgnbd"
    r, alpha, a, b = params
    expect = np.zeros((len(s), 4))
    for i, (x, tx, T) in enumerate(zip(s["frequency"], s["recency"], s["T"])):
        alive = p_alive(params, x, tx, T, modified)
        posterior = (r + x, alpha + T, a, b + x + (1 if modified else 0))
        for n in range(4):
            expect[i, n] = alive * lifetimes_pmf(posterior, horizon, n, False) + (
                1 - alive if n == 0 else 0)
    cols = [f"p_purchases_{n}" for n in range(4)]
    print(f"CDNOW, {model_type}, P(n purchases in the next {horizon} weeks), n = 0..3:")
    close("vs P(alive) x lifetimes' pmf at the posterior", got[cols].to_numpy(), expect, 1e-9,
          failures, floor=1e-12)
    new_rows = got.tail(2)[cols].to_numpy()
    unconditional = [lifetimes_pmf(params, horizon, n, modified) for n in range(4)]
    close("new customers vs lifetimes' probability_of_n_purchases_up_to_time", new_rows[0],
          unconditional, 1e-9, failures)
    print(f"  new customer: {np.round(new_rows[0], 6)}")


def pareto_log_likelihood(params, x, tx, T):
    """lifetimes' ParetoNBDFitter._conditional_log_likelihood (note 009, eqs. 18-20)."""
    r, alpha, s, beta = params
    big, small = max(alpha, beta), min(alpha, beta)
    b = r + x if alpha < beta else s + 1
    rsf = r + s + x
    p1 = hyp2f1(rsf, b, rsf + 1.0, (big - small) / (big + tx))
    p2 = hyp2f1(rsf, b, rsf + 1.0, (big - small) / (big + T))
    log_a0 = (logsumexp([np.log(p1) + rsf * np.log(big + T), np.log(p2) + rsf * np.log(big + tx)],
                        b=[1, -1]) - rsf * np.log((big + tx) * (big + T)))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return a1 + np.logaddexp(-(r + x) * np.log(alpha + T) - s * np.log(beta + T),
                             np.log(s) + log_a0 - np.log(rsf))


def pareto_pmf(params, n, t, x, tx, T):
    """lifetimes' ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time."""
    r, alpha, s, beta = params
    big, small = max(alpha, beta), min(alpha, beta)
    p = r + x + n if alpha < beta else s + 1
    d = big - small
    log_l = pareto_log_likelihood(params, x, tx, T)
    log_p_zero = (gammaln(r + x) + r * np.log(alpha) + s * np.log(beta)
                  - (gammaln(r) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_l))
    log_b_one = (gammaln(r + x + n) + r * np.log(alpha) + s * np.log(beta)
                 - (gammaln(r) + (r + x + n) * np.log(alpha + T + t) + s * np.log(beta + T + t)))
    log_b_two = (r * np.log(alpha) + s * np.log(beta) + gammaln(r + s + x) + betaln(r + x + n, s + 1)
                 + np.log(hyp2f1(r + s + x, p, r + s + x + n + 1, d / (big + T)))
                 - (gammaln(r) + gammaln(s) + (r + s + x) * np.log(big + T)))

    def log_b_three(i):
        return (r * np.log(alpha) + s * np.log(beta) + gammaln(r + s + x + i)
                + betaln(r + x + n, s + 1)
                + np.log(hyp2f1(r + s + x + i, p, r + s + x + n + 1, d / (big + T + t)))
                - (gammaln(r) + gammaln(s) + (r + s + x + i) * np.log(big + T + t)))
    zeroth = (n == 0) * (1 - np.exp(log_p_zero))
    first = n * np.log(t) - gammaln(n + 1) + log_b_one - log_l
    second = log_b_two - log_l
    third = logsumexp([i * np.log(t) - gammaln(i + 1) + log_b_three(i) - log_l
                       for i in range(n + 1)])
    return zeroth + np.exp(first) + np.exp(second) - np.exp(third)


def check_pareto_pmf(cie, data, work, failures):
    path = data / "cdnow" / "cdnow_customers_summary.csv"
    s = pd.read_csv(path)
    model = work / "pmf_pareto.json"
    run_cie(cie, ["fit", *summary_args(path), "--model-type", "pareto-nbd", "--model", str(model)])
    params, _ = fitted(model)
    out = work / "pmf_pareto.csv"
    run_cie(cie, ["predict", *summary_args(path), "--model", str(model), "--horizon", "39",
                  "--p-purchases", "3", "--out", str(out)])
    got = pd.read_csv(out)
    x, tx, T = (s[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    expect = np.array([[pareto_pmf(params, n, 39.0, *v) for n in range(4)]
                       for v in zip(x, tx, T)])
    cols = [f"p_purchases_{n}" for n in range(4)]
    print("CDNOW, pareto-nbd, P(n purchases in the next 39 weeks), n = 0..3:")
    close("vs lifetimes' conditional_probability_of_n_purchases_up_to_time (note 028)",
          got[cols].to_numpy(), expect, 1e-9, failures, floor=1e-12)


def expected_from_start(model_type, params, t):
    """Each model's expected_number_of_purchases_up_to_time in lifetimes."""
    if model_type == "bgnbd":
        r, alpha, a, b = params
        hyp = hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - hyp * (alpha / (alpha + t)) ** r)
    if model_type == "mbgnbd":
        r, alpha, a, b = params
        hyp = hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1 - hyp * (alpha / (alpha + t)) ** r)
    r, alpha, s, beta = params
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


def check_tracking(cie, data, work, failures, model_type):
    raw_path = data / "cdnow" / "CDNOW_sample.txt"
    raw = pd.read_csv(raw_path, sep=r"\s+", header=None,
                      names=["master", "id", "date", "cds", "dollars"])
    raw["day"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    days = raw[["id", "day"]].drop_duplicates()
    first = days.groupby("id")["day"].min()
    repeat = days[days["day"] > days["id"].map(first)]
    start = days["day"].min()
    t = (pd.Timestamp("1998-06-30") - start).days + 1  # lifetimes' t in days
    source = ["--transactions", str(raw_path), "--no-header", "--delimiter", "whitespace",
              "--id-col", "2", "--date-col", "3", "--amount-col", "5"]
    table = work / f"tracking_{model_type}.csv"
    run_cie(cie, ["evaluate", *source, "--calibration-end", "1997-09-30", "--holdout-end",
                  "1998-06-30", "--model-type", model_type, "--tracking-out", str(table)])
    model = work / f"tracking_{model_type}.json"
    run_cie(cie, ["fit", *source, "--calibration-end", "1997-09-30", "--model-type", model_type,
                  "--model", str(model)])
    params, _ = fitted(model)
    # lifetimes.utils.expected_cumulative_transactions(freq="D", freq_multiplier=7), ported.
    first_sizes = first.value_counts().sort_index()
    expected, actual = [], []
    for week in range(1, t // 7 + 1):
        period = start + pd.Timedelta(days=7 * week)
        before = first_sizes[first_sizes.index < period]
        times = (period - before.index).days.to_numpy(float) / 7
        expected.append(float(np.sum(expected_from_start(model_type, params, times) *
                                     before.to_numpy())))
        actual.append(int((repeat["day"] < period).sum()))
    got = pd.read_csv(table)
    print(f"CDNOW tracking series, {model_type}, {len(got)} weeks: actual {actual[-1]}, "
          f"expected {expected[-1]:.2f} (cie {got['expected_cumulative'].iloc[-1]:.2f})")
    if len(got) != t // 7 or list(got["actual_cumulative"]) != actual:
        print("  MISMATCH in the weeks or the actual cumulative series")
        failures.append(f"tracking actual {model_type}")
    close("expected cumulative vs lifetimes' algorithm", got["expected_cumulative"], expected,
          1e-9, failures)
    close("weekly increments", got["expected"], np.diff(expected, prepend=0.0), 1e-7, failures)
    if got["end_date"].iloc[-1] != "1998-06-30":
        failures.append(f"tracking end date {model_type}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        check_mbgnbd(args.cie, args.data, work, failures)
        check_pmf(args.cie, args.data, work, failures, "bgnbd", 39.0)
        check_pmf(args.cie, args.data, work, failures, "mbgnbd", 10.0)
        check_pareto_pmf(args.cie, args.data, work, failures)
        for model_type in ["bgnbd", "mbgnbd", "pareto-nbd"]:
            check_tracking(args.cie, args.data, work, failures, model_type)
    print("all checks passed" if not failures else f"FAILED: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
