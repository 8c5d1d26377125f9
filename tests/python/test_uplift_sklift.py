"""`cie uplift` against scikit-uplift (sklift 0.5.1) and scikit-learn.

Checks, on Hillstrom (Mens E-Mail against No E-Mail, target `visit`, `conversion` and `spend`
excluded, 50% hold-out stratified by treatment and response):
  * for the two-model and the class-transformation methods, the Qini coefficient and AUUC that
    cie reports on its held-out predictions equal sklift.metrics.qini_auc_score and
    uplift_auc_score on the same predictions to 1e-9, and the areas under its Qini and uplift
    curves equal sklearn.metrics.auc of sklift's qini_curve and uplift_curve; the uplift by
    decile equals a pandas computation;
  * the hold-out is stratified: per treatment group and response, the held-out share is within
    one customer of 50%;
  * cie's T-learner reaches a Qini coefficient no worse (within 1e-6) than the same approach
    with scikit-learn's LogisticRegression (C = 1, the same one-hot and z-score encoding fitted
    on each group's training rows) on the same split;
  * `cie uplift score` reproduces the held-out predictions from the model file (1e-12);
  * the X-learner (logistic and gbdt base learners) and the gbdt T-learner: the same sklift
    agreement; their Qini coefficients are printed next to the T-learner's;
  * on generated data with a known individual effect, the predicted uplift of the T-learner and
    of the X-learner correlates with it; the oracle's Qini and a response model's (the treated
    customers' P(response | x)) are printed next to the models' (tests/python/
    test_uplift_arms.py asserts that the X-learner beats the response model where the effect
    changes sign).
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
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import auc
from sklift.metrics import qini_auc_score, qini_curve, uplift_auc_score, uplift_curve

FAILURES = []
# sklift 0.5.1 calls scikit-learn's deprecated stable_cumsum; the warning is not ours.
warnings.filterwarnings("ignore", category=FutureWarning)
RTOL = 1e-9
FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie",
            "channel"]
CATEGORICAL = ["history_segment", "zip_code", "channel"]


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


def design(frame, reference):
    """One-hot categoricals (levels of `reference`) and numeric columns z-scored with
    `reference`'s mean and population standard deviation, as cie's encoder."""
    columns = {}
    for name in FEATURES:
        if name in CATEGORICAL:
            for level in reference[name].unique():
                columns[f"{name}={level}"] = (frame[name] == level).astype(float)
        else:
            std = reference[name].std(ddof=0)
            columns[name] = (frame[name] - reference[name].mean()) / (std if std > 0 else 1.0)
    return pd.DataFrame(columns)


def sklearn_t_learner(train, held_out):
    probabilities = []
    for group in (1, 0):
        part = train[train.treatment == group]
        model = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000)
        model.fit(design(part, part), part.visit)
        probabilities.append(model.predict_proba(design(held_out, part))[:, 1])
    return probabilities[0] - probabilities[1]


def check_generated(cie, tmp):
    """On `cie gen` data (20,000 customers, seed 7) the true individual effect is known: the
    generator's logit adds 0.3 + 0.4 email_opt_in for treated customers, so from the realized
    true probability both potential outcomes follow. The two-model and X-learner uplifts'
    held-out predictions must correlate with it (Pearson > 0.6); the Qini of the truth used as
    predictions (the oracle) and a response model's P(response | x, treated) are reported next
    to the models'."""
    data = tmp / "gen"
    cie_run(cie, "gen", "--customers", 20000, "--seed", 7, "--out", data)
    cie_run(cie, "rfm", "--transactions", data / "transactions.csv", "--as-of", "2026-01-01",
            "--out", tmp / "rfm.csv")
    tables = ["--table", data / "campaign.csv", "--table", data / "customers.csv", "--table",
              tmp / "rfm.csv"]
    for method in ("two-model", "x-learner"):
        cie_run(cie, "uplift", "train", *tables, "--treatment", "treated", "--treated", 1,
                "--target", "responded", "--features",
                "recency_days,frequency,monetary_total,age,region,email_opt_in", "--method",
                method, "--model", tmp / f"gen_{method}.json", "--predictions",
                tmp / f"gen_held_{method}.csv")
    cie_run(cie, "uplift", "score", "--model", tmp / "gen_x-learner.json", *tables, "--out",
            tmp / "gen_scores.csv")
    truth = pd.read_csv(data / "campaign_truth.csv").merge(
        pd.read_csv(data / "campaign.csv"), on="customer_id").merge(
        pd.read_csv(data / "customers.csv"), on="customer_id")
    logit = np.log(truth.true_probability / (1 - truth.true_probability))
    effect = 0.3 + 0.4 * truth.email_opt_in
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    truth["true_uplift"] = (sigmoid(logit + (1 - truth.treated) * effect) -
                            sigmoid(logit - truth.treated * effect))
    found = {}
    for method in ("two-model", "x-learner"):
        held = pd.read_csv(tmp / f"gen_held_{method}.csv").merge(
            truth[["customer_id", "true_uplift"]], on="customer_id")
        correlation = np.corrcoef(held.uplift, held.true_uplift)[0, 1]
        model_qini = qini_auc_score(held.response, held.uplift, held.treatment)
        oracle_qini = qini_auc_score(held.response, held.true_uplift, held.treatment)
        found[method] = (correlation, model_qini, held)
        check(correlation > 0.6,
              f"generated data, {method}: predicted uplift correlates with the true effect "
              f"(Pearson {correlation:.3f} on {len(held)} held-out customers); Qini "
              f"{model_qini:.4f}, oracle {oracle_qini:.4f}")
    correlation, x_qini, held = found["x-learner"]
    response = pd.read_csv(tmp / "gen_scores.csv").set_index("customer_id").loc[
        held.customer_id, "p_treated"].to_numpy()
    response_correlation = np.corrcoef(response, held.true_uplift)[0, 1]
    response_qini = qini_auc_score(held.response, response, held.treatment)
    # Reported, not asserted: this campaign's effect is constant on the log-odds scale apart from
    # email_opt_in, so the true uplift grows with p(1 − p) and a response model ranks it well.
    # test_uplift_arms.py asserts the comparison on arms whose effects change sign by age.
    print(f"     generated data: X-learner Pearson {correlation:.3f}, Qini {x_qini:.4f}; response "
          f"model P(response | x, treated) Pearson {response_correlation:.3f}, Qini "
          f"{response_qini:.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    path = args.data / "hillstrom" / "hillstrom.csv"
    frame = pd.read_csv(path)
    frame["customer_id"] = np.arange(1, len(frame) + 1).astype(str)
    frame = frame[frame.segment.isin(["Mens E-Mail", "No E-Mail"])].copy()
    frame["treatment"] = (frame.segment == "Mens E-Mail").astype(int)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        qini = {}
        for variant in ("two-model", "class-transformation", "x-learner", "two-model gbdt",
                        "x-learner gbdt"):
            method, *learner = variant.split()
            model, report, predictions = tmp / f"{method}.json", tmp / "r.json", tmp / "p.csv"
            cie_run(args.cie, "uplift", "train", "--table", path, "--no-id", "--treatment",
                    "segment", "--treated", "Mens E-Mail", "--control", "No E-Mail", "--target",
                    "visit", "--exclude", "conversion,spend", "--validation", 0.5, "--method",
                    method, "--model-type", (learner or ["logistic"])[0], "--model", model,
                    "--report", report, "--predictions", predictions)
            evaluation = json.loads(report.read_text())["evaluation"]
            held = pd.read_csv(predictions, dtype={"customer_id": str},
                               float_precision="round_trip")
            y, u, t = held.response.to_numpy(), held.uplift.to_numpy(), held.treatment.to_numpy()
            reference_qini = qini_auc_score(y, u, t)
            reference_auuc = uplift_auc_score(y, u, t)
            qini[variant] = round(evaluation["qini_coefficient"], 6)
            method = variant
            check(close(evaluation["qini_coefficient"], reference_qini) and
                  close(evaluation["auuc"], reference_auuc),
                  f"{method}: Qini coefficient {evaluation['qini_coefficient']:.12f} and AUUC "
                  f"{evaluation['auuc']:.12f} equal sklift's {reference_qini:.12f} and "
                  f"{reference_auuc:.12f}")
            check(close(evaluation["qini_area"], auc(*qini_curve(y, u, t))) and
                  close(evaluation["uplift_area"], auc(*uplift_curve(y, u, t))),
                  f"{method}: curve areas equal sklearn auc of sklift's qini_curve and uplift_curve")
            order = np.argsort(-u, kind="stable")
            decile = np.empty(len(u), int)
            decile[order] = np.arange(len(u)) * 10 // len(u) + 1
            table = pd.DataFrame({"d": decile, "y": y, "t": t})
            same = True
            for d in evaluation["deciles"]:
                part = table[table.d == d["decile"]]
                rate_t = part[part.t == 1].y.mean()
                rate_c = part[part.t == 0].y.mean()
                same &= d["treated"] == int((part.t == 1).sum()) and close(d["treated_rate"], rate_t) \
                    and close(d["control_rate"], rate_c)
            check(same, f"{method}: uplift by decile equals pandas")
            if method == "two-model":
                held_ids = set(held.customer_id)
                full = frame.assign(held=frame.customer_id.isin(held_ids))
                shares = full.groupby(["treatment", "visit"]).held.agg(["sum", "count"])
                check(bool(np.all(np.abs(shares["sum"] - shares["count"] / 2) <= 1)),
                      "hold-out stratified by treatment and response: "
                      + ", ".join(f"{k}: {s}/{c}" for k, (s, c) in shares.iterrows()))
                train = full[~full.held]
                test = full[full.held].set_index("customer_id").loc[held.customer_id]
                sk_uplift = sklearn_t_learner(train, test)
                sk_qini = qini_auc_score(y, sk_uplift, t)
                check(evaluation["qini_coefficient"] >= sk_qini - 1e-6,
                      f"T-learner Qini: cie {evaluation['qini_coefficient']:.6f}, scikit-learn "
                      f"LogisticRegression {sk_qini:.6f} (max |uplift difference| "
                      f"{np.max(np.abs(sk_uplift - u)):.2e})")
                scores = tmp / "scores.csv"
                cie_run(args.cie, "uplift", "score", "--model", model, "--table", path, "--no-id",
                        "--out", scores)
                scored = pd.read_csv(scores, dtype={"customer_id": str},
                                     float_precision="round_trip").set_index("customer_id")
                again = scored.loc[held.customer_id, "uplift"].to_numpy()
                check(bool(np.all(np.abs(again - u) <= 1e-12)),
                      "uplift score reproduces the held-out predictions")
        print(f"     Qini coefficients: {qini}")
        check_generated(args.cie, tmp)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
