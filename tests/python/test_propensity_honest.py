"""Honest evaluation of `cie propensity train` against computations made here.

Checks:
  * Calibration, cross-fitted (UCI bank marketing, `duration` excluded, logistic, 5 folds,
    isotonic): scikit-learn's LogisticRegression on the same design gives out-of-fold
    predictions over its own stratified folds; an isotonic calibrator fitted on four folds'
    predictions and applied to the fifth (as CalibratedClassifierCV does) gives cross-fitted
    probabilities. cie's out-of-fold AUC and its calibrated AUC and log-loss are within 0.01 of
    those (different folds, so not equal), both say calibration makes the log-loss worse, and
    cie warns so; the in-sample figure (fitted and measured on the same predictions, what cie
    reported before) is printed to show how optimistic it was.
  * Leakage (Hillstrom, target visit, treated customers via --where): cie's warnings name exactly
    the features whose values only visitors have in a run of at least 30 customers that the visit
    rate makes improbable (computed here with pandas: conversion and spend), and the same run
    without them warns about nothing; bank marketing and `cie gen` data warn about nothing.
  * --where: the kept rows equal pandas' count of `segment != "No E-Mail"` (42,694).
  * Missing-value indicators: none on bank marketing and Hillstrom (no missing values), and on
    `cie gen` data with every 7th age blanked, exactly one, age__missing.
"""

import argparse
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_run(cie, *args):
    result = subprocess.run([cie, "--log-level", "warn", "--threads", "2", *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cie {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def warned(stdout):
    """The feature names of cie's leakage warnings."""
    return sorted(line.split("feature ", 1)[1].split(" ", 1)[0]
                  for line in stdout.splitlines() if "WARNING: feature " in line)


def design_matrix(frame):
    """z-scored numeric columns (population std) and one-hot categoricals."""
    columns = {}
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]):
            x = frame[name].astype(float)
            std = x.std(ddof=0)
            columns[name] = (x - x.mean()) / (std if std > 0 else 1.0)
        else:
            for level in frame[name].unique():
                columns[f"{name}={level}"] = (frame[name] == level).astype(float)
    return pd.DataFrame(columns).to_numpy()


def bank_calibration(cie, data, tmp):
    path = data / "bank-marketing" / "bank.csv"
    out = cie_run(cie, "propensity", "train", "--table", path, "--no-id", "--delimiter",
                  "semicolon", "--target", "y", "--positive", "yes", "--exclude", "duration",
                  "--validation", 0, "--folds", 5, "--calibration", "isotonic", "--model",
                  tmp / "bank.json", "--report", tmp / "bank-report.json")
    metrics = json.loads((tmp / "bank-report.json").read_text())["metrics"]
    frame = pd.read_csv(path, sep=";").drop(columns=["duration"])
    y = (frame.pop("y") == "yes").astype(int).to_numpy()
    x = design_matrix(frame)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=1).split(x, y))
    oof = np.zeros(len(y))
    for train, test in folds:
        model = LogisticRegression(C=1.0, max_iter=5000).fit(x[train], y[train])
        oof[test] = model.predict_proba(x[test])[:, 1]
    crossed = np.zeros(len(y))
    for train, test in folds:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
        crossed[test] = iso.fit(oof[train], y[train]).predict(oof[test])
    in_sample = IsotonicRegression(out_of_bounds="clip").fit(oof, y).predict(oof)
    eps = 1e-15
    sk = {"auc": roc_auc_score(y, oof), "loss": log_loss(y, np.clip(oof, eps, 1 - eps)),
          "cal_auc": roc_auc_score(y, crossed),
          "cal_loss": log_loss(y, np.clip(crossed, eps, 1 - eps)),
          "in_auc": roc_auc_score(y, in_sample),
          "in_loss": log_loss(y, np.clip(in_sample, eps, 1 - eps))}
    cal = metrics["calibrated"]
    print(f"     bank, 5 folds: out-of-fold AUC cie {metrics['validation']['auc']:.4f}, "
          f"scikit-learn {sk['auc']:.4f}; isotonic cross-fitted AUC cie {cal['auc']:.4f}, "
          f"scikit-learn {sk['cal_auc']:.4f}; log-loss cie {metrics['validation']['log_loss']:.4f}"
          f" -> {cal['log_loss']:.4f}, scikit-learn {sk['loss']:.4f} -> {sk['cal_loss']:.4f}; "
          f"in-sample (fitted and measured on the same rows) AUC {sk['in_auc']:.4f}, log-loss "
          f"{sk['in_loss']:.4f}")
    check(abs(metrics["validation"]["auc"] - sk["auc"]) < 0.01,
          "bank: cie's out-of-fold AUC is within 0.01 of scikit-learn's")
    check(abs(cal["auc"] - sk["cal_auc"]) < 0.01,
          "bank: cie's cross-fitted isotonic AUC is within 0.01 of scikit-learn's")
    check(abs(cal["log_loss"] - sk["cal_loss"]) < 0.01,
          "bank: cie's cross-fitted isotonic log-loss is within 0.01 of scikit-learn's")
    check(cal["cross_fitted_folds"] == 5, "bank: calibrated over the 5 model folds")
    check(sk["cal_loss"] > sk["loss"] and cal["log_loss"] > metrics["validation"]["log_loss"],
          "bank: cross-fitted, isotonic makes the log-loss worse for both")
    check("log-loss" in metrics["calibration_worse"] and
          "WARNING: isotonic calibration makes the log-loss" in out,
          "bank: cie says calibration makes the log-loss worse")
    check(sk["in_auc"] > sk["cal_auc"] and sk["in_loss"] < sk["cal_loss"],
          "bank: the in-sample figures are the optimistic ones")
    features = json.loads((tmp / "bank-report.json").read_text())["features"]
    check(not any(f.endswith("__missing") for f in features),
          "bank: no missing-value indicator (no column has missing values)")
    check(warned(out) == [], "bank: no leakage warning")


def pure_tail_leaks(frame, target):
    """Features with a run of >= 30 customers at their highest or lowest values, all of one class,
    whose share s of the customers makes s^rows < 1e-12 (numeric and one-hot columns)."""
    y = frame[target].to_numpy()
    found = []
    for name in frame.columns.drop(target):
        columns = ({name: frame[name].astype(float)} if pd.api.types.is_numeric_dtype(frame[name])
                   else {f"{name}={v}": (frame[name] == v).astype(float)
                         for v in frame[name].unique()})
        for feature, values in columns.items():
            groups = pd.DataFrame({"v": values, "y": y}).groupby("v")["y"].agg(["min", "max",
                                                                               "size"])
            for ordered in (groups.iloc[::-1], groups):
                rows, label = 0, None
                for _, g in ordered.iterrows():
                    if g["min"] != g["max"] or (label is not None and g["min"] != label):
                        break
                    label, rows = g["min"], rows + g["size"]
                share = (y == label).mean() if label is not None else 1.0
                if rows >= 30 and share < 1 and rows * math.log(share) < math.log(1e-12):
                    found.append(feature)
                    break
    return sorted(set(found))


def hillstrom_leakage(cie, data, tmp):
    path = data / "hillstrom" / "hillstrom.csv"
    frame = pd.read_csv(path)
    treated = frame[frame["segment"] != "No E-Mail"]
    expected = pure_tail_leaks(treated.drop(columns=["segment"]), "visit")
    out = cie_run(cie, "propensity", "train", "--table", path, "--no-id", "--target", "visit",
                  "--where", 'segment != "No E-Mail"', "--exclude", "segment", "--validation", 0,
                  "--model", tmp / "h.json", "--report", tmp / "h-report.json")
    report = json.loads((tmp / "h-report.json").read_text())
    check(report["metrics"]["training_rows"] == len(treated) == 42694,
          f"hillstrom: --where kept the {len(treated)} treated customers pandas counts")
    check(f"kept {len(treated)} of {len(frame)} rows" in out, "hillstrom: stdout says so")
    check(expected == ["conversion", "spend"], f"hillstrom: pandas finds {expected} leaking")
    check(warned(out) == expected, f"hillstrom: cie warns about {warned(out)}")
    check(not any(f.endswith("__missing") for f in report["features"]),
          "hillstrom: no missing-value indicator")
    clean = cie_run(cie, "propensity", "train", "--table", path, "--no-id", "--target", "visit",
                    "--where", 'segment != "No E-Mail"', "--exclude", "segment,conversion,spend",
                    "--validation", 0, "--model", tmp / "h2.json")
    check(warned(clean) == [], "hillstrom: without conversion and spend, no warning")


def generated(cie, tmp):
    cie_run(cie, "gen", "--customers", 20000, "--seed", 5, "--out", tmp / "gen")
    frame = pd.read_csv(tmp / "gen" / "customers.csv")
    frame.loc[::7, "age"] = np.nan  # the generator writes no missing value: every 7th age
    frame.to_csv(tmp / "gen" / "gappy.csv", index=False)
    out = cie_run(cie, "propensity", "train", "--table", tmp / "gen" / "campaign.csv", "--table",
                  tmp / "gen" / "gappy.csv", "--target", "responded", "--exclude",
                  "revenue,treated,campaign,contact_date,contact_channel,offer", "--model",
                  tmp / "g.json", "--report", tmp / "g-report.json")
    features = json.loads((tmp / "g-report.json").read_text())["features"]
    with_missing = sorted(c for c in frame.columns if frame[c].isna().any()
                          and pd.api.types.is_numeric_dtype(frame[c]))
    indicators = sorted(f[:-len("__missing")] for f in features if f.endswith("__missing"))
    check(indicators == with_missing == ["age"],
          f"generated: indicators {indicators} for the numeric columns with missing values "
          f"{with_missing}")
    check(warned(out) == [], "generated: no leakage warning")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = pathlib.Path(directory)
        bank_calibration(args.cie, args.data, tmp)
        hillstrom_leakage(args.cie, args.data, tmp)
        generated(args.cie, tmp)
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
