"""`cie campaign evaluate` and `cie campaign plan` against scipy and statsmodels.

Checks, on the Hillstrom e-mail campaign (64,000 customers; arms Mens E-Mail and Womens E-Mail
against No E-Mail):
  * every number in cie's JSON results, for the responses `visit` and `conversion` (revenue
    `spend`), overall and by `history_segment` (and for `visit` by `decile-of:history`), equals an independent computation to 1e-9
    relative: counts, rates, lift, Newcombe's interval (statsmodels confint_proportions_2indep
    method "newcomb"), the relative lift's log interval (compare "ratio", method "log"), the z
    test (proportions_ztest), Fisher's exact test (scipy.stats.fisher_exact) and the choice
    between them (smallest expected count below 5, scipy.stats.contingency.expected_freq),
    incremental responders, Welch's test and interval (scipy.stats.ttest_ind(equal_var=False)),
    incremental revenue, and the sample-ratio check (scipy.stats.chisquare); the CSV holds the
    same numbers as the JSON, and the printed table shows them rounded;
  * the same on the first 240 rows, where counts are small enough for Fisher's test;
  * the bootstrap: the same seed gives the same interval; replaying cie's random streams
    (xoshiro256** seeded by SplitMix64, reimplemented here in numpy) gives cie's interval to
    1e-9; and a numpy bootstrap of 10,000 draws with numpy's own generator gives an interval
    whose ends are within 1% of its width of cie's, or, where Monte Carlo noise is larger than
    that, within 3 Monte Carlo standard errors (both are printed);
  * `cie campaign plan`: the achieved power (printed in full) equals statsmodels' power_proportions_2indep at
    the planned sizes to 1e-9, one treated customer fewer falls short of the power, and the
    treated size is the ceiling of samplesize_proportions_2indep_onetail.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import expected_freq
from statsmodels.stats.proportion import (confint_proportions_2indep, power_proportions_2indep,
                                          proportions_ztest,
                                          samplesize_proportions_2indep_onetail)

FAILURES = []
RTOL = 1e-9
SEED = 42
DRAWS = 10000


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_run(cie, *args):
    result = subprocess.run([cie, "--log-level", "warn", *map(str, args)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"cie {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def close(actual, expected):
    if expected is None or (isinstance(expected, float) and np.isnan(expected)):
        return actual is None
    if actual is None:
        return False
    return abs(actual - expected) <= RTOL * abs(expected) + 1e-300


def expected_record(treated, control, response, alpha=0.05):
    """Every number of one result record, computed from the rows with scipy and statsmodels."""
    n1, n2 = len(treated), len(control)
    x1, x2 = int(treated[response].sum()), int(control[response].sum())
    p1, p2 = x1 / n1, x2 / n2
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                           alpha=alpha)
    r = {"customers": n1, "control_customers": n2, "responders": x1, "control_responders": x2,
         "response_rate": p1, "control_response_rate": p2, "lift": p1 - p2,
         "lift_low": low, "lift_high": high}
    r["relative_lift"] = (p1 - p2) / p2 if p2 > 0 else None
    if x1 > 0 and x2 > 0:
        rl, rh = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio",
                                            alpha=alpha)
        r["relative_lift_low"], r["relative_lift_high"] = rl - 1, rh - 1
    else:
        r["relative_lift_low"] = r["relative_lift_high"] = None
    z, pz = proportions_ztest([x1, x2], [n1, n2])
    r["z"], r["z_p_value"] = z, pz
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    r["fisher_p_value"] = stats.fisher_exact(table).pvalue
    r["smallest_expected_count"] = expected_freq(table).min()
    r["test"] = "fisher" if r["smallest_expected_count"] < 5 else "z"
    r["p_value"] = r["fisher_p_value"] if r["test"] == "fisher" else pz
    r["incremental_responders"] = (p1 - p2) * n1
    r["incremental_responders_low"], r["incremental_responders_high"] = low * n1, high * n1
    a, b = treated["spend"].to_numpy(), control["spend"].to_numpy()
    welch = stats.ttest_ind(a, b, equal_var=False)
    ci = welch.confidence_interval(1 - alpha)
    r.update({"revenue_per_customer": a.mean(), "control_revenue_per_customer": b.mean(),
              "revenue_lift": a.mean() - b.mean(),
              "revenue_lift_se": np.sqrt(a.var(ddof=1) / n1 + b.var(ddof=1) / n2),
              "welch_df": welch.df, "welch_t": welch.statistic, "welch_p_value": welch.pvalue,
              "revenue_lift_low": ci.low, "revenue_lift_high": ci.high,
              "incremental_revenue": (a.mean() - b.mean()) * n1,
              "incremental_revenue_low": ci.low * n1, "incremental_revenue_high": ci.high * n1})
    if a.var() == 0 and b.var() == 0:
        # No revenue variance in either group: cie reports Welch's df, t, p and interval as
        # undefined; scipy puts a placeholder df of 1 (its comment: "it doesn't matter what df
        # is") and the interval [d, d].
        for key in ("welch_df", "welch_t", "welch_p_value", "revenue_lift_low", "revenue_lift_high",
                    "incremental_revenue_low", "incremental_revenue_high"):
            r[key] = None
    return r


def compare_records(label, frame, results, response, by):
    """Checks every record of `results` against expected_record on the same rows of `frame`."""
    control_name = "No E-Mail"
    mismatches = []
    compared = 0
    for record in results:
        rows = frame if record["level"] == "" else frame[frame[by].astype(str) == record["level"]]
        expected = expected_record(rows[rows.segment == record["arm"]],
                                   rows[rows.segment == control_name], response)
        groups = [control_name, "Mens E-Mail", "Womens E-Mail"]
        counts = [int((rows.segment == g).sum()) for g in groups]
        srm = stats.chisquare(counts, np.full(3, sum(counts) / 3))
        expected["srm_chi_square"], expected["srm_p_value"] = srm.statistic, srm.pvalue
        for key, value in expected.items():
            compared += 1
            if key == "test":
                ok = record[key] == value
            elif isinstance(value, (int, np.integer)):
                ok = record[key] == value
            else:
                ok = close(record[key], None if value is None else float(value))
            if not ok:
                mismatches.append(f"{record['arm']}/{record['level']}/{key}: cie {record[key]}, "
                                  f"reference {value}")
    check(not mismatches, f"{label}: {compared} numbers in {len(results)} records equal scipy/"
          f"statsmodels to {RTOL:g}" + ("" if not mismatches else ": " + "; ".join(mismatches[:5])))


def check_outputs_agree(label, json_results, csv_path, printed):
    csv = pd.read_csv(csv_path, float_precision="round_trip", keep_default_na=False,
                      dtype={"level": str, "by": str})
    same = len(csv) == len(json_results)
    for record, (_, row) in zip(json_results, csv.iterrows()):
        for key, value in record.items():
            cell = row[key]
            if value is None:
                same &= cell == ""
            elif isinstance(value, str):
                same &= str(cell) == value
            else:
                same &= float(cell) == float(value)
    check(same, f"{label}: the CSV holds the JSON's numbers exactly")
    shown = all(f"{100 * r['response_rate']:.2f}%" in printed and
                f"{100 * r['lift']:.2f}% [{100 * r['lift_low']:.2f}%, {100 * r['lift_high']:.2f}%]"
                in printed for r in json_results)
    check(shown, f"{label}: the printed table shows the rates and lift intervals rounded")


MASK = (1 << 64) - 1


def mix64(x):
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


class Streams:
    """core/random.hpp's Random(seed, index) for many indices at once, in numpy."""

    def __init__(self, seed, indices):
        golden = np.uint64(0x9E3779B97F4A7C15)
        with np.errstate(over="ignore"):
            state = mix64(mix64(np.full(len(indices), seed, np.uint64)) ^
                          mix64(indices.astype(np.uint64) + golden))
            self.s = []
            for _ in range(4):
                state = state + golden
                self.s.append(mix64(state))

    def below(self, n):
        s0, s1, s2, s3 = self.s
        result = rotl(s1 * np.uint64(5), 7) * np.uint64(9)
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return ((result >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)


def replay_bootstrap(treated, control, first_stream, alpha=0.05):
    """cie's bootstrap (models/campaigns/bootstrap.hpp) with its own random streams."""
    streams = Streams(SEED, np.arange(DRAWS, dtype=np.uint64) + np.uint64(first_stream))
    means = []
    with np.errstate(over="ignore"):
        for values in (treated, control):
            total = np.zeros(DRAWS)
            for _ in range(len(values)):
                total += values[streams.below(len(values)).astype(np.int64)]
            means.append(total / len(values))
    diffs = np.sort(means[0] - means[1])
    return np.quantile(diffs, [alpha / 2, 1 - alpha / 2])


def numpy_bootstrap(treated, control, seed, alpha=0.05, chunk=250):
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(DRAWS // chunk):
        diffs.append(treated[rng.integers(0, len(treated), (chunk, len(treated)))].mean(1) -
                     control[rng.integers(0, len(control), (chunk, len(control)))].mean(1))
    diffs = np.sort(np.concatenate(diffs))
    ends = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    # Monte Carlo standard error of each end, from the order statistics around it.
    spread = []
    for q in (alpha / 2, 1 - alpha / 2):
        half = np.sqrt(DRAWS * q * (1 - q))
        spread.append((diffs[min(DRAWS - 1, int(DRAWS * q + half))] -
                       diffs[max(0, int(DRAWS * q - half))]) / 2)
    return ends, np.array(spread)


def check_bootstrap(frame, results, first_run_results):
    same = all(a["bootstrap_low"] == b["bootstrap_low"] and a["bootstrap_high"] == b["bootstrap_high"]
               for a, b in zip(results, first_run_results))
    check(same, "bootstrap: the same seed gives the same intervals (two runs)")
    control = frame.loc[frame.segment == "No E-Mail", "spend"].to_numpy()
    for k, record in enumerate(results):
        if record["level"] != "":
            continue
        treated = frame.loc[frame.segment == record["arm"], "spend"].to_numpy()
        low, high = replay_bootstrap(treated, control, k * DRAWS)
        check(close(record["bootstrap_low"], low) and close(record["bootstrap_high"], high),
              f"bootstrap {record['arm']}: numpy replay of cie's streams gives [{low:.6f}, "
              f"{high:.6f}], cie [{record['bootstrap_low']:.6f}, {record['bootstrap_high']:.6f}]")
        check(close(record["incremental_revenue_bootstrap_low"], record["bootstrap_low"] * len(treated)),
              f"bootstrap {record['arm']}: incremental revenue interval = interval x customers")
        ends, spread = numpy_bootstrap(treated, control, seed=2024)
        width = ends[1] - ends[0]
        cie_ends = np.array([record["bootstrap_low"], record["bootstrap_high"]])
        gap = np.abs(cie_ends - ends)
        allowed = np.maximum(0.01 * width, 3 * np.sqrt(2) * spread)
        check(bool(np.all(gap <= allowed)),
              f"bootstrap {record['arm']}: numpy default_rng {DRAWS} draws [{ends[0]:.6f}, "
              f"{ends[1]:.6f}], cie [{cie_ends[0]:.6f}, {cie_ends[1]:.6f}]: ends differ by "
              f"{100 * gap[0] / width:.2f}% and {100 * gap[1] / width:.2f}% of the width "
              f"(Monte Carlo s.e. of a difference {100 * np.sqrt(2) * spread[0] / width:.2f}%, "
              f"{100 * np.sqrt(2) * spread[1] / width:.2f}%)")


def check_plan(cie):
    for baseline, lift, power, alpha, share in [(0.1, 0.02, 0.8, 0.05, 0.5),
                                                (0.0106, 0.005, 0.9, 0.01, 0.5),
                                                (0.15, -0.03, 0.8, 0.05, 0.25),
                                                (0.3, 0.05, 0.85, 0.1, 0.6)]:
        out = cie_run(cie, "campaign", "plan", "--baseline-rate", baseline, "--minimum-lift", lift,
                      "--power", power, "--alpha", alpha, "--treated-share", share)
        treated = int(re.search(r"treated customers (\d+)", out).group(1))
        control = int(re.search(r"control customers (\d+)", out).group(1))
        achieved = float(re.search(r"achieved power ([0-9.]+)", out).group(1))
        reference = power_proportions_2indep(lift, baseline, treated, ratio=control / treated,
                                             alpha=alpha).power
        ratio = (1 - share) / share
        fewer = power_proportions_2indep(lift, baseline, treated - 1,
                                         ratio=np.ceil((treated - 1) * ratio - 1e-9) / (treated - 1),
                                         alpha=alpha).power
        continuous = samplesize_proportions_2indep_onetail(lift, baseline, power, ratio=ratio,
                                                           alpha=alpha)
        check(abs(achieved - reference) <= RTOL * reference and reference >= power and fewer < power and
              treated == int(np.ceil(continuous)),
              f"plan rate {baseline} lift {lift} power {power} alpha {alpha} share {share}: "
              f"{treated} + {control}, power {reference:.6f} (statsmodels), {fewer:.6f} with one "
              f"fewer; statsmodels' continuous size {continuous:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    path = args.data / "hillstrom" / "hillstrom.csv"
    frame = pd.read_csv(path)
    common = ["campaign", "evaluate", "--history", path, "--no-id", "--no-campaign",
              "--group-col", "segment", "--control", "No E-Mail", "--revenue-col", "spend",
              "--planned-split", "equal", "--seed", SEED, "--bootstrap-draws", DRAWS]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        runs = {}
        for response in ("visit", "conversion"):
            csv, js = tmp / f"{response}.csv", tmp / f"{response}.json"
            printed = cie_run(args.cie, *common, "--response-col", response, "--by",
                              "history_segment", "--out", csv, "--json", js)
            results = json.loads(js.read_text())["results"]
            runs[response] = results
            compare_records(f"Hillstrom {response}", frame, results, response, "history_segment")
            check_outputs_agree(f"Hillstrom {response}", results, csv, printed)
            overall = [r for r in results if r["level"] == ""]
            for r in overall:
                print(f"     {response} {r['arm']}: rate {r['response_rate']:.4%} vs "
                      f"{r['control_response_rate']:.4%}, lift {r['lift']:.4%} "
                      f"[{r['lift_low']:.4%}, {r['lift_high']:.4%}], p {r['p_value']:.3g}, "
                      f"revenue lift {r['revenue_lift']:.4f} [{r['revenue_lift_low']:.4f}, "
                      f"{r['revenue_lift_high']:.4f}], bootstrap [{r['bootstrap_low']:.4f}, "
                      f"{r['bootstrap_high']:.4f}]")
        # --by decile-of:history: deciles of a numeric column, 1 = highest, ties by row order.
        order = np.argsort(-frame.history.to_numpy(), kind="stable")
        decile = np.empty(len(frame), int)
        decile[order] = np.arange(len(frame)) * 10 // len(frame) + 1
        frame["history_decile"] = decile
        js = tmp / "deciles.json"
        cie_run(args.cie, *common, "--response-col", "visit", "--by", "decile-of:history",
                "--json", js)
        compare_records("Hillstrom visit by decile-of:history", frame,
                        json.loads(js.read_text())["results"], "visit", "history_decile")
        small = tmp / "small.csv"
        frame.head(240).to_csv(small, index=False)
        js = tmp / "small.json"
        cie_run(args.cie, *[a if a != path else small for a in common], "--response-col",
                "conversion", "--json", js)
        results = json.loads(js.read_text())["results"]
        check(all(r["test"] == "fisher" for r in results),
              "first 240 rows, conversion: counts small enough for Fisher's test")
        compare_records("first 240 rows, conversion", frame.head(240), results, "conversion", None)
        again = tmp / "again.json"
        cie_run(args.cie, *common, "--response-col", "visit", "--by", "history_segment",
                "--json", again)
        check_bootstrap(frame, json.loads(again.read_text())["results"], runs["visit"])
    check_plan(args.cie)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
