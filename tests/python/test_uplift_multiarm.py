"""One uplift model file for several arms (`cie uplift train --arms`), checked against known
effects and against scikit-uplift.

  * `cie gen --arms 3` (30,000 customers, seed 3; the arms' true individual effects are in
    campaign_arms_truth.csv): one X-learner file with a learner per arm against the control.
    On the held-out customers, each arm's predicted uplift correlates with that arm's true
    effect (Pearson > 0.5), and the predicted best arm is the true best arm more often than
    chance (1/3) by more than 5 binomial standard errors and more often than always taking the
    arm with the best average effect, whose mean true uplift the chosen arms also beat (the
    oracle's, the true best arm's, is printed next to them). Each arm's Qini coefficient and
    AUUC in the report equal sklift's on its held-out arm and control customers (1e-9).
  * Hillstrom (Mens E-Mail and Womens E-Mail against No E-Mail in one model, target visit,
    two-model on logistic regression, 50% hold-out): each arm's Qini and AUUC equal sklift's
    on the held-out predictions (1e-9) and the one-arm model's of that arm (`--treated ARM
    --control "No E-Mail"`), exactly; `cie uplift score` gives each arm's uplift as the one-arm
    model's score (1e-12), the best arm as the larger of them, and reproduces the held-out
    predictions.
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
from sklift.metrics import qini_auc_score, uplift_auc_score

# sklift 0.5.1 calls scikit-learn's deprecated stable_cumsum; the warning is not ours.
warnings.filterwarnings("ignore", category=FutureWarning)
FAILURES = []
RTOL = 1e-9


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


def close(a, b):
    return abs(a - b) <= RTOL * abs(b)


def read(path):
    return pd.read_csv(path, dtype={"customer_id": str}, float_precision="round_trip")


def check_arm_metrics(label, evaluation, held, control):
    """Each arm's Qini and AUUC of the report against sklift on its held-out arm and control
    customers; returns {arm: (qini, auuc)}."""
    found = {}
    for arm in evaluation["arms"]:
        name = arm["arm"]
        part = held[held.group.isin([name, control])]
        y, t, u = part.response.to_numpy(), (part.group == name).to_numpy().astype(int), \
            part[f"{name}_uplift"].to_numpy()
        qini, auuc = qini_auc_score(y, u, t), uplift_auc_score(y, u, t)
        found[name] = (arm["qini_coefficient"], arm["auuc"])
        check(close(arm["qini_coefficient"], qini) and close(arm["auuc"], auuc) and
              arm["customers"] == len(part),
              f"{label}, {name}: Qini {arm['qini_coefficient']:.9f}, AUUC {arm['auuc']:.9f} on "
              f"{len(part)} held-out customers equal sklift's ({qini:.9f}, {auuc:.9f})")
    return found


def check_generated(cie, tmp):
    data = tmp / "gen"
    arms = 3
    cie_run(cie, "--seed", 3, "gen", "--customers", 30000, "--arms", arms, "--out", data)
    cie_run(cie, "rfm", "--transactions", data / "transactions.csv", "--as-of", "2026-01-01",
            "--out", tmp / "rfm.csv")
    report, held_path = tmp / "gen_report.json", tmp / "gen_held.csv"
    cie_run(cie, "uplift", "train", "--table", data / "campaign_arms.csv", "--table",
            data / "customers.csv", "--table", tmp / "rfm.csv", "--treatment", "group", "--arms",
            "all", "--control", "control", "--target", "responded", "--method", "x-learner",
            "--features", "recency_days,frequency,monetary_total,age,region,email_opt_in",
            "--model", tmp / "gen_arms.json", "--report", report, "--predictions", held_path)
    evaluation = json.loads(report.read_text())["evaluation"]
    names = [f"arm_{k}" for k in range(1, arms + 1)]
    check([a["arm"] for a in evaluation["arms"]] == names, "--arms all: arm_1, arm_2, arm_3")
    held = read(held_path).merge(read(data / "campaign_arms_truth.csv"), on="customer_id")
    check_arm_metrics("generated", evaluation, held, "control")
    for k, name in enumerate(names, 1):
        truth = held[f"true_uplift_arm_{k}"]
        pearson = np.corrcoef(held[f"{name}_uplift"], truth)[0, 1]
        check(pearson > 0.5, f"generated, {name}: predicted uplift correlates with the arm's true "
              f"effect on {len(held)} held-out customers (Pearson {pearson:.3f})")
    true_columns = [f"true_uplift_arm_{k}" for k in range(1, arms + 1)]
    true_best = held[true_columns].to_numpy().argmax(axis=1)
    predicted_best = held.best_arm.map({name: k for k, name in enumerate(names)}).to_numpy()
    agreement = float(np.mean(predicted_best == true_best))
    n = len(held)
    chance = 1 / arms
    margin = 5 * np.sqrt(chance * (1 - chance) / n)
    best_on_average = int(np.argmax(held[true_columns].mean().to_numpy()))
    constant = float(np.mean(true_best == best_on_average))
    truth = held[true_columns].to_numpy()
    rows = np.arange(n)
    gained = truth[rows, predicted_best].mean()
    check(agreement > chance + margin and agreement > constant and
          gained > truth[:, best_on_average].mean(),
          f"generated: the predicted best arm is the true best arm for {agreement:.1%} of {n} "
          f"held-out customers (chance {chance:.1%} + 5 SE {margin:.1%}; always arm_"
          f"{best_on_average + 1}, the best on average: {constant:.1%}); mean true uplift of the "
          f"chosen arm {gained:.4f}, of arm_{best_on_average + 1} for all "
          f"{truth[:, best_on_average].mean():.4f}, of the true best {truth.max(axis=1).mean():.4f}")
    scores = tmp / "gen_scores.csv"
    cie_run(cie, "uplift", "score", "--model", tmp / "gen_arms.json", "--table",
            data / "customers.csv", "--table", tmp / "rfm.csv", "--out", scores)
    scored = read(scores).set_index("customer_id").loc[held.customer_id]
    same = all(np.max(np.abs(scored[f"{name}_uplift"].to_numpy() -
                             held[f"{name}_uplift"].to_numpy())) <= 1e-12 for name in names)
    check(same and bool(np.all(scored.best_arm.to_numpy() == held.best_arm.to_numpy())),
          "generated: uplift score reproduces the held-out arm uplifts and best arms")


def check_hillstrom(cie, data, tmp):
    path = data / "hillstrom" / "hillstrom.csv"
    common = ["--table", path, "--no-id", "--treatment", "segment", "--control", "No E-Mail",
              "--target", "visit", "--exclude", "conversion,spend", "--validation", 0.5]
    report, held_path = tmp / "h_report.json", tmp / "h_held.csv"
    cie_run(cie, "uplift", "train", *common, "--arms", "Mens E-Mail,Womens E-Mail", "--model",
            tmp / "h_arms.json", "--report", report, "--predictions", held_path)
    evaluation = json.loads(report.read_text())["evaluation"]
    held = read(held_path)
    found = check_arm_metrics("Hillstrom", evaluation, held, "No E-Mail")
    scores = tmp / "h_scores.csv"
    cie_run(cie, "uplift", "score", "--model", tmp / "h_arms.json", "--table", path, "--no-id",
            "--out", scores)
    scored = read(scores).set_index("customer_id")
    for arm in ("Mens E-Mail", "Womens E-Mail"):
        one_report, one_scores = tmp / "h_one.json", tmp / "h_one.csv"
        cie_run(cie, "uplift", "train", *common, "--treated", arm, "--model", tmp / "h_one_m.json",
                "--report", one_report)
        one = json.loads(one_report.read_text())["evaluation"]
        check((one["qini_coefficient"], one["auuc"]) == found[arm],
              f"Hillstrom, {arm}: the multi-arm file's learner is the one-arm model "
              f"(Qini {one['qini_coefficient']:.6f}, AUUC {one['auuc']:.6f} both)")
        cie_run(cie, "uplift", "score", "--model", tmp / "h_one_m.json", "--table", path,
                "--no-id", "--out", one_scores)
        alone = read(one_scores).set_index("customer_id").loc[scored.index]
        check(np.max(np.abs(alone.uplift.to_numpy() - scored[f"{arm}_uplift"].to_numpy())) <= 1e-12,
              f"Hillstrom, {arm}: scores equal the one-arm model's")
    larger = np.where(scored["Mens E-Mail_uplift"] >= scored["Womens E-Mail_uplift"],
                      "Mens E-Mail", "Womens E-Mail")
    check(bool(np.all(scored.best_arm.to_numpy() == larger)) and
          bool(np.all(scored.uplift == scored[["Mens E-Mail_uplift",
                                                "Womens E-Mail_uplift"]].max(axis=1))),
          f"Hillstrom: best arm and uplift are the larger arm's (Mens for "
          f"{np.mean(larger == 'Mens E-Mail'):.1%} of {len(scored)} customers)")
    again = scored.loc[held.customer_id]
    check(bool(np.all(np.abs(again.uplift.to_numpy() - held.uplift.to_numpy()) <= 1e-12)),
          "Hillstrom: uplift score reproduces the held-out predictions")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        check_hillstrom(args.cie, args.data, tmp)
        check_generated(args.cie, tmp)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
