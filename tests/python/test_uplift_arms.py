"""Multi-arm campaign histories from `cie gen --arms 3`, checked against their known effects.

`cie gen --arms N` writes campaign_arms.csv (groups control, arm_1..arm_N, equally likely) and
campaign_arms_truth.csv (per customer the untreated response probability and each arm's true
uplift). Checks:
  * the files are as documented: equal group shares within 4 standard errors, each arm's truth
    recomputed from meta.json's effect formula and the customers' traits (1e-12), and the other
    files byte-identical to a run without arms;
  * `cie campaign evaluate` gives, for every arm against the control, the response rates and
    lift of a pandas computation (1e-12), and a lift within 4 standard errors of the arm's true
    average effect (the mean of its true uplift over all customers);
  * `cie uplift train --treated arm_K --control control` (one X-learner per arm against the
    control) predicts uplifts that correlate with that arm's true individual effect, better
    than a response model does (the treated customers' P(response | x), the X-learner's own
    first-stage model, from `cie uplift score`'s p_treated), with a higher Qini coefficient; and
    arm 2's model (whose effect falls with age and rises with e-mail opt-in) correlates more with
    arm 2's truth than with arm 1's (which rises with age).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import warnings

import numpy as np
import pandas as pd
from sklift.metrics import qini_auc_score

# sklift 0.5.1 calls scikit-learn's deprecated stable_cumsum; the warning is not ours.
warnings.filterwarnings("ignore", category=FutureWarning)

FAILURES = []
ARMS = 3
CUSTOMERS = 40000


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


def effect(arm, frame):
    age = (frame.age - 45) / 15
    odd = arm % 2 == 1
    return 0.1 * arm - 0.2 + (0.6 if odd else -0.6) * age + (0.0 if odd else 0.5) * frame.email_opt_in


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        data, plain = tmp / "arms", tmp / "plain"
        cie_run(args.cie, "--seed", 3, "gen", "--customers", CUSTOMERS, "--arms", ARMS, "--out", data)
        cie_run(args.cie, "--seed", 3, "gen", "--customers", CUSTOMERS, "--out", plain)
        same = all((data / name).read_bytes() == (plain / name).read_bytes()
                   for name in ("transactions.csv", "customers.csv", "campaign.csv",
                                "campaign_truth.csv"))
        check(same, "the single campaign's files do not change with --arms")
        meta = json.loads((data / "meta.json").read_text())
        check(meta["multi_arm_campaign"]["arms"] == ARMS, "meta.json describes the arms")

        history = pd.read_csv(data / "campaign_arms.csv")
        customers = pd.read_csv(data / "customers.csv")
        truth = pd.read_csv(data / "campaign_arms_truth.csv").merge(customers, on="customer_id")
        base = truth.untreated_probability
        logit = np.log(base / (1 - base))
        worst = max(np.max(np.abs(truth[f"true_uplift_arm_{k}"] -
                                  (1 / (1 + np.exp(-(logit + effect(k, truth)))) - base)))
                    for k in range(1, ARMS + 1))
        check(worst <= 1e-12, f"true uplifts follow meta.json's effect formula (max error {worst:.1e})")
        shares = history.group.value_counts() / len(history)
        se = np.sqrt(1 / (ARMS + 1) * (1 - 1 / (ARMS + 1)) / len(history))
        check(set(shares.index) == {"control", *[f"arm_{k}" for k in range(1, ARMS + 1)]} and
              bool(np.all(np.abs(shares - 1 / (ARMS + 1)) <= 4 * se)),
              f"groups equally likely: {dict(shares.round(4))}")

        report = tmp / "evaluation.json"
        cie_run(args.cie, "campaign", "evaluate", "--history", data / "campaign_arms.csv",
                "--control", "control", "--planned-split", "equal", "--json", report)
        results = [r for r in json.loads(report.read_text())["results"] if r["level"] == ""]
        check(len(results) == ARMS, f"campaign evaluate reports {len(results)} arms")
        control = history[history.group == "control"].responded
        for record in results:
            arm = history[history.group == record["arm"]].responded
            k = int(record["arm"].split("_")[1])
            exact = (abs(record["response_rate"] - arm.mean()) <= 1e-12 and
                     abs(record["control_response_rate"] - control.mean()) <= 1e-12 and
                     abs(record["lift"] - (arm.mean() - control.mean())) <= 1e-12)
            true_effect = truth[f"true_uplift_arm_{k}"].mean()
            se = np.sqrt(arm.mean() * (1 - arm.mean()) / len(arm) +
                         control.mean() * (1 - control.mean()) / len(control))
            check(exact and abs(record["lift"] - true_effect) <= 4 * se,
                  f"{record['arm']}: lift {record['lift']:.4f} [{record['lift_low']:.4f}, "
                  f"{record['lift_high']:.4f}] (pandas the same), true average effect "
                  f"{true_effect:.4f}")

        cie_run(args.cie, "rfm", "--transactions", data / "transactions.csv", "--as-of",
                "2026-01-01", "--out", tmp / "rfm.csv")
        correlation = {}
        for k in range(1, ARMS + 1):
            held = tmp / f"held_{k}.csv"
            cie_run(args.cie, "uplift", "train", "--table", data / "campaign_arms.csv", "--table",
                    data / "customers.csv", "--table", tmp / "rfm.csv", "--treatment", "group",
                    "--treated", f"arm_{k}", "--control", "control", "--target", "responded",
                    "--method", "x-learner", "--features",
                    "recency_days,frequency,monetary_total,age,region,email_opt_in", "--model",
                    tmp / f"arm_{k}.json", "--predictions", held)
            scores = tmp / f"scores_{k}.csv"
            cie_run(args.cie, "uplift", "score", "--model", tmp / f"arm_{k}.json", "--table",
                    data / "customers.csv", "--table", tmp / "rfm.csv", "--out", scores)
            joined = pd.read_csv(held).merge(truth, on="customer_id").merge(
                pd.read_csv(scores)[["customer_id", "p_treated"]], on="customer_id")
            correlation[k] = {j: np.corrcoef(joined.uplift, joined[f"true_uplift_arm_{j}"])[0, 1]
                              for j in range(1, ARMS + 1)}
            own = joined[f"true_uplift_arm_{k}"]
            response = np.corrcoef(joined.p_treated, own)[0, 1]
            y, t = joined.response, joined.treatment
            qini = qini_auc_score(y, joined.uplift, t)
            response_qini = qini_auc_score(y, joined.p_treated, t)
            check(correlation[k][k] > 0.5 and correlation[k][k] > response and qini > response_qini,
                  f"arm_{k} against control: X-learner uplift correlates with the arm's true "
                  f"effect (Pearson {correlation[k][k]:.3f} on {len(joined)} held-out customers; "
                  f"a response model {response:.3f}; with the other arms' truths "
                  + ", ".join(f"arm_{j} {c:.3f}" for j, c in correlation[k].items() if j != k)
                  + f"); Qini {qini:.4f}, response model {response_qini:.4f}, oracle "
                  f"{qini_auc_score(y, own, t):.4f}")
        check(correlation[2][2] > correlation[2][1],
              "arm_2's model follows arm_2's effect, not arm_1's")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
