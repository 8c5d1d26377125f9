"""Native categorical splits of `cie propensity train --model-type gbdt` against LightGBM's.

UCI bank marketing (y = "yes", `duration` excluded: it leaks the outcome), the same 5 stratified
folds (scikit-learn's StratifiedKFold, shuffled, seed 42) for every model, LightGBM's default
parameters (100 trees, learning rate 0.1, 31 leaves, 20 rows and 1e-3 hessian per leaf, 255
bins) on 1 thread, its categorical defaults (max_cat_to_onehot 4, max_cat_threshold 32,
cat_smooth 10, cat_l2 10, min_data_per_group 100), which are cie's:
  * cie with native categorical splits (the gbdt default: job, marital, education, default,
    housing, loan, contact, month, poutcome as level codes);
  * LightGBM with the same columns as pandas categoricals (categorical_feature);
  * cie with --categorical-splits one-hot, for reference.
cie's mean test-fold AUC (from the probabilities `cie propensity score` writes) with native
splits must be no more than BOUND below LightGBM's with categorical_feature. Every fold is
printed: a run is the measurement the README quotes.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile

import lightgbm
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

FAILURES = []
BOUND = 0.005
CATEGORICAL = ["job", "marital", "education", "default", "housing", "loan", "contact", "month",
               "poutcome"]


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


def cie_probabilities(cie, tmp, name, train, test, extra):
    train_csv, test_csv = tmp / f"{name}-train.csv", tmp / f"{name}-test.csv"
    train.to_csv(train_csv, index=False)
    test.drop(columns=["y"]).to_csv(test_csv, index=False)
    cie_run(cie, "propensity", "train", "--table", train_csv, "--target", "y", "--positive", "yes",
            "--categorical", ",".join(CATEGORICAL), "--model-type", "gbdt", "--validation", 0,
            *extra, "--model", tmp / f"{name}.json")
    cie_run(cie, "propensity", "score", "--model", tmp / f"{name}.json", "--table", test_csv,
            "--out", tmp / f"{name}-scores.csv")
    scores = pd.read_csv(tmp / f"{name}-scores.csv", dtype={"customer_id": str})
    assert (scores["customer_id"].to_numpy() == test["customer_id"].to_numpy()).all()
    return scores["probability"].to_numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    frame = pd.read_csv(args.data / "bank-marketing" / "bank.csv", sep=";")
    frame = frame.drop(columns=["duration"])
    frame.insert(0, "customer_id", [f"B{i}" for i in range(len(frame))])
    y = (frame["y"] == "yes").astype(int).to_numpy()
    design = frame.drop(columns=["customer_id", "y"]).copy()
    for column in CATEGORICAL:
        design[column] = design[column].astype("category")
    design.columns = [c.replace(".", "_") for c in design.columns]
    print(f"     lightgbm {lightgbm.__version__}; bank marketing {len(frame)} rows, "
          f"{len(CATEGORICAL)} categorical columns")
    auc = {"cie native": [], "lightgbm categorical": [], "cie one-hot": []}
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    with tempfile.TemporaryDirectory() as directory:
        tmp = pathlib.Path(directory)
        for k, (train, test) in enumerate(folds.split(design, y)):
            auc["cie native"].append(roc_auc_score(y[test], cie_probabilities(
                args.cie, tmp, f"native{k}", frame.iloc[train], frame.iloc[test], [])))
            auc["cie one-hot"].append(roc_auc_score(y[test], cie_probabilities(
                args.cie, tmp, f"onehot{k}", frame.iloc[train], frame.iloc[test],
                ["--categorical-splits", "one-hot"])))
            lgb = lightgbm.LGBMClassifier(n_estimators=100, learning_rate=0.1, num_leaves=31,
                                          min_child_samples=20, min_child_weight=1e-3,
                                          max_bin=255, n_jobs=1, random_state=42, verbose=-1)
            lgb.fit(design.iloc[train], y[train])
            auc["lightgbm categorical"].append(
                roc_auc_score(y[test], lgb.predict_proba(design.iloc[test])[:, 1]))
            print(f"     fold {k + 1}: " +
                  ", ".join(f"{name} {values[-1]:.4f}" for name, values in auc.items()))
    mean = {name: float(np.mean(values)) for name, values in auc.items()}
    print("     mean AUC: " + ", ".join(f"{name} {value:.4f}" for name, value in mean.items()))
    check(mean["cie native"] >= mean["lightgbm categorical"] - BOUND,
          f"bank: cie native categorical AUC {mean['cie native']:.4f} vs LightGBM "
          f"categorical_feature {mean['lightgbm categorical']:.4f} "
          f"({mean['cie native'] - mean['lightgbm categorical']:+.4f}; at most {BOUND} below)")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
