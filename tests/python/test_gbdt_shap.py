"""`cie propensity score --explain K` against Shapley values computed here from the model file.

Independent of cie's code: the model file's encoder section is applied here (z-score of numeric
columns with the stored mean and scale, NaN for a missing value; categoricals one-hot over the
stored levels plus NAME=<other>, or for the gbdt's native categorical splits the level's index,
NaN when unseen), the trees are walked here (x <= threshold, or the level in the split's left
set; missing values the default way), and each tree's exact Shapley values
come from enumerating every subset of the features that tree splits on, the value of a subset
being the tree's cover-weighted conditional expectation (the path-dependent TreeSHAP definition,
Lundberg et al. 2018). Shapley values are additive over trees, so the forest's are the sum.
  * gbdt on UCI bank marketing (4,521 customers, every 30th explained, `duration` excluded; job, marital,
    education, ... split natively), 40 trees of at most 8 leaves: every contribution cie writes with --explain (all features) equals the enumerated
    Shapley value (1e-9), they sum with the expected margin to logit(probability) (1e-9), and
    --explain 3 names the three largest |values|.
  * logistic on the same rows: the contributions are coefficient x (encoded value - its training
    mean), the mean computed here from the encoded training rows.
"""

import argparse
import itertools
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

FAILURES = []
CATEGORICAL_FEATURES = set()  # the gbdt's level-code features, set from the model file
CATEGORICAL = ["job", "marital", "education", "default", "housing", "loan", "contact", "month",
               "poutcome"]


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


def encode(model, frame):
    """The encoded matrix (rows x features, float32) from the model file's encoder section."""
    columns = []
    for column in model["features"]["columns"]:
        values = frame[column["name"]]
        if column["type"] == "numeric":
            assert column["transform"] in ("none", ""), column["transform"]
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            z = ((numbers - column["mean"]) / column["scale"]).astype(np.float32)
            if column["missing"] == "mean_impute":
                missing = np.isnan(numbers)
                z[missing] = np.float32(0.0)  # the training mean, standardized
                columns.append(z)
                if column.get("indicator", True):  # only for columns missing in training
                    columns.append(missing.astype(np.float32))
            else:
                columns.append(z)
        else:
            levels = column["levels"]
            text = values.astype(str).where(values.notna(), None)
            if column.get("encoding") == "codes":  # one feature: the level's index, else NaN
                index = {level: k for k, level in enumerate(levels)}
                columns.append(np.array([index.get(t, np.nan) for t in text], dtype=np.float32))
                continue
            for level in levels:
                columns.append((text == level).to_numpy().astype(np.float32))
            columns.append((~text.isin(levels)).to_numpy().astype(np.float32))
    return np.column_stack(columns)


def tree_list(gbdt):
    trees = gbdt["trees"]
    return [(root, trees) for root in trees["roots"]]


def leaf_value(trees, node, row, known):
    """The tree's value when only the features in `known` are known (cover-weighted otherwise)."""
    feature = trees["feature"][node]
    if feature < 0:
        return trees["value"][node]
    left, right = trees["left"][node], trees["right"][node]
    if feature in known:
        value = row[feature]
        categories = trees.get("categories", [])
        if feature in CATEGORICAL_FEATURES:
            if not (0 <= value < 255):  # NaN included
                goes_left = trees["default_left"][node] != 0
            else:
                goes_left = int(value) in categories[node]
        elif math.isnan(value):
            goes_left = trees["default_left"][node] != 0
        else:
            goes_left = np.float32(value) <= np.float32(trees["threshold"][node])
        return leaf_value(trees, left if goes_left else right, row, known)
    cover = trees["cover"]
    total = cover[node]
    share_left, share_right = (cover[left] / total, cover[right] / total) if total > 0 else (0.5, 0.5)
    return (share_left * leaf_value(trees, left, row, known) +
            share_right * leaf_value(trees, right, row, known))


def tree_features(trees, root):
    used, stack = set(), [root]
    while stack:
        node = stack.pop()
        if trees["feature"][node] >= 0:
            used.add(trees["feature"][node])
            stack += [trees["left"][node], trees["right"][node]]
    return sorted(used)


def shapley(gbdt, row, n_features):
    """Exact Shapley values of one row by subset enumeration, and the expected margin."""
    phi = np.zeros(n_features)
    expected = gbdt["base_score"]
    for root, trees in tree_list(gbdt):
        used = tree_features(trees, root)
        m = len(used)
        expected += leaf_value(trees, root, row, set())
        for j in used:
            others = [f for f in used if f != j]
            for size in range(m):
                weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                for subset in itertools.combinations(others, size):
                    known = set(subset)
                    without = leaf_value(trees, root, row, known)
                    phi[j] += weight * (leaf_value(trees, root, row, known | {j}) - without)
    return phi, expected


def reasons(scores, names):
    """Per row: {feature: contribution} from reason_r / contribution_r columns."""
    out = []
    k = (scores.shape[1] - 4) // 2
    for _, line in scores.iterrows():
        row = {}
        for r in range(1, k + 1):
            name = line[f"reason_{r}"]
            if isinstance(name, str):
                row[name] = float(line[f"contribution_{r}"])
        out.append(row)
    return out


def logit(p):
    return np.log(p / (1.0 - p))


def run(cie, data, tmp):
    frame = pd.read_csv(data / "bank-marketing" / "bank.csv", sep=";").drop(columns=["duration"])
    frame.insert(0, "customer_id", [f"B{i}" for i in range(len(frame))])
    train = frame
    explained = frame.iloc[5::30].drop(columns=["y"]).reset_index(drop=True)
    train.to_csv(tmp / "train.csv", index=False)
    explained.to_csv(tmp / "explained.csv", index=False)
    print(f"     bank marketing: {len(train)} training rows, {len(explained)} rows explained")

    common = ["propensity", "train", "--table", tmp / "train.csv", "--target", "y", "--positive",
              "yes", "--categorical", ",".join(CATEGORICAL), "--validation", 0]
    cie_run(cie, *common, "--model-type", "gbdt", "--n-trees", 40, "--num-leaves", 8,
            "--model", tmp / "gbdt.json")
    cie_run(cie, *common, "--model", tmp / "logistic.json")
    for kind in ("gbdt", "logistic"):
        model = json.loads((tmp / f"{kind}.json").read_text())
        names = model["features"]["features"]
        x = encode(model, explained)
        check(x.shape[1] == len(names), f"{kind}: {len(names)} encoded features")
        for k in (len(names), 3):
            cie_run(cie, "propensity", "score", "--model", tmp / f"{kind}.json", "--table",
                    tmp / "explained.csv", "--explain", k, "--out", tmp / f"{kind}-{k}.csv")
        full = pd.read_csv(tmp / f"{kind}-{len(names)}.csv", dtype={"customer_id": str})
        top = reasons(pd.read_csv(tmp / f"{kind}-3.csv", dtype={"customer_id": str}), names)
        written = reasons(full, names)
        margin = logit(full["probability"].to_numpy())
        worst_value, worst_sum, top_ok = 0.0, 0.0, True
        if kind == "logistic":
            coef = np.array(model["fitted"]["logistic"]["coef"])
            mean = encode(model, train).astype(float).mean(axis=0)
            expected_margin = model["fitted"]["logistic"]["intercept"] + float(coef @ mean)
        for i in range(len(explained)):
            if kind == "gbdt":
                CATEGORICAL_FEATURES.clear()
                CATEGORICAL_FEATURES.update(model["fitted"]["gbdt"].get("categorical_features", []))
                phi, expected_margin = shapley(model["fitted"]["gbdt"], x[i].astype(float),
                                               len(names))
            else:
                phi = coef * (x[i].astype(float) - mean)
            cie_phi = np.array([written[i].get(name, 0.0) for name in names])
            worst_value = max(worst_value, float(np.max(np.abs(cie_phi - phi))))
            worst_sum = max(worst_sum, abs(expected_margin + cie_phi.sum() - margin[i]))
            order = sorted(range(len(names)), key=lambda j: (-abs(phi[j]), j))
            strongest = {names[j] for j in order[:3] if phi[j] != 0.0}
            margin_of_error = abs(abs(phi[order[2]]) - abs(phi[order[3]])) < 1e-9
            top_ok &= set(top[i]) == strongest or margin_of_error
        tolerance = 1e-9 if kind == "gbdt" else 1e-6
        check(worst_value <= tolerance,
              f"{kind}: every contribution equals the independent one (largest difference "
              f"{worst_value:.2e})")
        check(worst_sum <= tolerance,
              f"{kind}: expected margin {expected_margin:.6f} + contributions = logit(probability) "
              f"for every row (largest difference {worst_sum:.2e})")
        check(top_ok, f"{kind}: --explain 3 names the three largest |contributions|")
        print(f"     {kind}, first customer: " + ", ".join(
            f"{name} {value:+.4f}" for name, value in top[0].items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run(args.cie, args.data, pathlib.Path(directory))
    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")


if __name__ == "__main__":
    main()
