"""`cie propensity train --model-type gbdt` against XGBoost and LightGBM (accuracy).

Checks, on the same stratified folds (scikit-learn's StratifiedKFold, 5 folds, shuffled) for
all three libraries, with equivalent parameters (LightGBM's defaults: 100 trees, learning rate
0.1, 31 leaves grown leaf-wise, no depth limit, min 20 rows and 1e-3 hessian per leaf, no L1/L2
penalty, 255 bins; XGBoost `hist` with grow_policy lossguide, max_leaves 31, max_depth 0,
min_child_weight 1e-3, reg_lambda 0, max_bin 255), each on 1 thread (ctest runs tests side by side) and given the same
features (numeric columns as they are, categoricals one-hot as cie encodes them with
--categorical-splits one-hot; native categorical splits are compared with LightGBM's in
test_gbdt_categorical.py):
  * UCI bank marketing (y = "yes", `duration` excluded: it leaks the outcome), 5-fold CV
    repeated with the fold seeds 42 .. 46 (25 test folds): one 5-fold mean on 3,617 training
    rows per fold moves by ~0.006 with the fold seed alone (the cie − LightGBM difference of
    one seed's mean has a standard deviation of ~0.006 over fold seeds), so one seed cannot
    resolve the issue's 0.002.
  * Hillstrom e-mail, treated customers only, target `visit` (`conversion` and `spend`
    excluded: they are outcomes), 5-fold CV repeated with the fold seeds 42 .. 46 as well: on
    34,154 training rows per fold one seed's cie − better-peer difference still ranged from
    −0.0037 to +0.0017 over these seeds (2026-12-07), so one seed would pass or fail by chance.
  cie's mean test-fold ROC AUC (computed here with scikit-learn from the probabilities that
  `cie propensity score` writes) must be no more than 0.002 below the better peer's on both (the
  issue's target).
  * Generated data (`cie gen`, two seeds): a gbdt trained on one set scores the other with an
    AUC within 0.005 of the AUC of the generator's true probabilities.
Every number is printed, so a run is also the measurement the README quotes.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import lightgbm
import numpy as np
import pandas as pd
import xgboost
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

FAILURES = []
TREES, RATE, LEAVES, MIN_ROWS, MIN_HESSIAN = 100, 0.1, 31, 20, 1e-3


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_run(cie, *args):
    result = subprocess.run([cie, "--log-level", "warn", "--threads", "1", *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cie {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def one_hot(frame, categorical):
    """Numeric columns as they are, categoricals one-hot (cie's encoder: one column per level)."""
    design = pd.get_dummies(frame, columns=categorical, dtype=float).astype(float)
    design.columns = [f"f{j}" for j in range(design.shape[1])]  # LightGBM refuses ')' and '$'
    return design


def peer_probabilities(x_train, y_train, x_test):
    lgb = lightgbm.LGBMClassifier(n_estimators=TREES, learning_rate=RATE, num_leaves=LEAVES,
                                  max_depth=-1, min_child_samples=MIN_ROWS,
                                  min_child_weight=MIN_HESSIAN, reg_lambda=0.0, reg_alpha=0.0,
                                  max_bin=255, n_jobs=1, random_state=42, verbose=-1)
    lgb.fit(x_train, y_train)
    xgb = xgboost.XGBClassifier(n_estimators=TREES, learning_rate=RATE, tree_method="hist",
                                grow_policy="lossguide", max_leaves=LEAVES, max_depth=0,
                                min_child_weight=MIN_HESSIAN, reg_lambda=0.0, reg_alpha=0.0,
                                max_bin=255, n_jobs=1, random_state=42)
    xgb.fit(x_train, y_train)
    return {"lightgbm": lgb.predict_proba(x_test)[:, 1], "xgboost": xgb.predict_proba(x_test)[:, 1]}


def compare(cie, tmp, name, frame, target, positive, categorical, bound, seeds=(42,)):
    """5-fold comparison for each fold seed; frame holds customer_id, the target and the
    features. The means are over every test fold of every seed."""
    y = (frame[target].astype(str) == positive).astype(int).to_numpy()
    features = frame.drop(columns=["customer_id", target])
    design = one_hot(features, categorical)
    auc = {"cie": [], "lightgbm": [], "xgboost": []}
    splits = [(seed, k, train, test) for seed in seeds for k, (train, test) in enumerate(
        StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(design, y))]
    for seed, k, train, test in splits:
        train_csv, test_csv = tmp / f"{name}-train{k}.csv", tmp / f"{name}-test{k}.csv"
        frame.iloc[train].to_csv(train_csv, index=False)
        frame.iloc[test].drop(columns=[target]).to_csv(test_csv, index=False)
        model = tmp / f"{name}-{k}.json"
        cie_run(cie, "propensity", "train", "--table", train_csv, "--target", target,
                "--positive", positive, "--categorical", ",".join(categorical),
                "--model-type", "gbdt", "--categorical-splits", "one-hot",
                "--validation", 0, "--n-trees", TREES,
                "--learning-rate", RATE, "--num-leaves", LEAVES, "--min-data-in-leaf", MIN_ROWS,
                "--min-child-weight", MIN_HESSIAN, "--max-bin", 255, "--model", model)
        cie_run(cie, "propensity", "score", "--model", model, "--table", test_csv,
                "--out", tmp / f"{name}-scores{k}.csv")
        scores = pd.read_csv(tmp / f"{name}-scores{k}.csv", dtype={"customer_id": str})
        expected_ids = frame.iloc[test]["customer_id"].astype(str).to_numpy()
        check((scores["customer_id"].to_numpy() == expected_ids).all(),
              f"{name} seed {seed} fold {k + 1}: cie scores every test customer in input order")
        auc["cie"].append(roc_auc_score(y[test], scores["probability"]))
        for peer, p in peer_probabilities(design.iloc[train], y[train], design.iloc[test]).items():
            auc[peer].append(roc_auc_score(y[test], p))
        print(f"     {name} seed {seed} fold {k + 1}: " +
              ", ".join(f"{lib} {values[-1]:.4f}" for lib, values in auc.items()))
    for seed in seeds if len(seeds) > 1 else ():
        of_seed = [i for i, split in enumerate(splits) if split[0] == seed]
        print(f"     {name} seed {seed} mean: " + ", ".join(
            f"{lib} {np.mean([values[i] for i in of_seed]):.4f}" for lib, values in auc.items()))
    mean = {lib: float(np.mean(values)) for lib, values in auc.items()}
    best_peer = max(mean["lightgbm"], mean["xgboost"])
    check(mean["cie"] >= best_peer - bound,
          f"{name}: mean AUC cie {mean['cie']:.4f}, LightGBM {mean['lightgbm']:.4f}, "
          f"XGBoost {mean['xgboost']:.4f} (cie at most {bound} below the better peer; cie − better "
          f"peer {mean['cie'] - best_peer:+.4f})")
    return mean


def bank(cie, data, tmp):
    frame = pd.read_csv(data / "bank-marketing" / "bank.csv", sep=";").drop(columns=["duration"])
    frame.insert(0, "customer_id", [f"B{i}" for i in range(len(frame))])
    categorical = ["job", "marital", "education", "default", "housing", "loan", "contact",
                   "month", "poutcome"]
    return compare(cie, tmp, "bank", frame, "y", "yes", categorical, 0.002,
                   seeds=(42, 43, 44, 45, 46))


def hillstrom(cie, data, tmp):
    frame = pd.read_csv(data / "hillstrom" / "hillstrom.csv")
    frame = frame[frame["segment"] != "No E-Mail"].drop(columns=["conversion", "spend"])
    frame = frame.reset_index(drop=True)
    frame.insert(0, "customer_id", [f"H{i}" for i in range(len(frame))])
    categorical = ["history_segment", "zip_code", "channel", "segment"]
    return compare(cie, tmp, "hillstrom", frame, "visit", "1", categorical, 0.002,
                   seeds=(42, 43, 44, 45, 46))


def generated(cie, tmp):
    sets = {}
    for name, seed in (("train", 11), ("test", 12)):
        out = tmp / name
        cie_run(cie, "--seed", seed, "gen", "--customers", 60000, "--out", out)
        cie_run(cie, "rfm", "--transactions", out / "transactions.csv", "--as-of", "2026-01-01",
                "--out", out / "rfm.csv")
        sets[name] = out
    tables = lambda out: ["--table", out / "campaign.csv", "--table", out / "customers.csv",
                          "--table", out / "rfm.csv"]
    cie_run(cie, "propensity", "train", *tables(sets["train"]), "--target", "responded",
            "--features", "recency_days,frequency,monetary_total,age,region,email_opt_in,treated",
            "--model-type", "gbdt", "--learning-rate", 0.05, "--n-trees", 300,
            "--num-leaves", 15, "--early-stopping-rounds", 20, "--validation", 0,
            "--model", tmp / "gen.json", "--report", tmp / "gen-report.json")
    cie_run(cie, "propensity", "score", "--model", tmp / "gen.json", *tables(sets["test"]),
            "--out", tmp / "gen-scores.csv")
    scores = pd.read_csv(tmp / "gen-scores.csv", dtype={"customer_id": str})
    truth = pd.read_csv(sets["test"] / "campaign_truth.csv", dtype={"customer_id": str})
    campaign = pd.read_csv(sets["test"] / "campaign.csv", dtype={"customer_id": str})
    merged = scores.merge(truth, on="customer_id").merge(campaign, on="customer_id")
    check(len(merged) == len(campaign), f"generated: every one of {len(campaign)} customers scored")
    y = merged["responded"].to_numpy()
    model_auc = roc_auc_score(y, merged["probability"])
    truth_auc = roc_auc_score(y, merged["true_probability"])
    trees = json.loads((tmp / "gen-report.json").read_text())["trees"]
    check(abs(model_auc - truth_auc) <= 0.005,
          f"generated: gbdt ({trees} trees after early stopping) AUC on an independent set "
          f"{model_auc:.4f} vs ground truth {truth_auc:.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    print(f"     xgboost {xgboost.__version__}, lightgbm {lightgbm.__version__}")
    with tempfile.TemporaryDirectory() as directory:
        tmp = pathlib.Path(directory)
        bank(args.cie, args.data, tmp)
        hillstrom(args.cie, args.data, tmp)
        generated(args.cie, tmp)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
