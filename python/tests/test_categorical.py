"""Categorical columns (pandas Categorical, Arrow dictionary, polars Categorical) for
cie.GradientBoostingClassifier's native categorical splits: the same model file as `cie
propensity train --categorical ... --model-type gbdt` and the same probabilities bit for bit,
whatever the input's kind and its categories' order; clear TypeError/ValueError naming the
column for wrong input."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import cie
from model_documents import comparable

CATEGORICAL = ["job", "marital", "education", "housing", "contact", "month", "poutcome"]
NUMERIC = ["age", "balance", "campaign", "pdays"]
FEATURES = ["age", "job", "marital", "education", "balance", "housing", "contact", "campaign",
            "pdays", "month", "poutcome"]


def document(text: str) -> dict:
    return comparable(text, ignore_params=("inputs",))


@pytest.fixture(scope="module")
def bank(data_dir):
    path = data_dir / "bank-marketing" / "bank.csv"
    frame = pd.read_csv(path, sep=";")
    X = frame[FEATURES].copy()
    for name in CATEGORICAL:
        X[name] = X[name].astype("category")  # categories sorted: not the file's order
    return path, X, frame["y"]


def test_native_categorical_splits_equal_the_cli(bank, run_cie, tmp_path):
    path, X, y = bank
    cli_model = tmp_path / "cli.json"
    run_cie("propensity", "train", "--table", path, "--delimiter", ";", "--no-id", "--target",
            "y", "--positive", "yes", "--features", ",".join(FEATURES), "--categorical",
            ",".join(CATEGORICAL), "--validation", 0, "--model-type", "gbdt", "--n-trees", 30,
            "--model", cli_model)
    gb = cie.GradientBoostingClassifier(30).fit(X, y)
    assert document(gb.model_file_) == document(cli_model.read_text())
    assert gb.categorical_features_ == CATEGORICAL
    assert list(gb.feature_names_in_) == FEATURES
    cli_scores = tmp_path / "cli.csv"
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            cli_model, "--out", cli_scores)
    p = gb.predict_proba(X)[:, 1]
    cli_p = pd.read_csv(cli_scores, float_precision="round_trip")["probability"].to_numpy()
    assert np.array_equal(p, cli_p)
    # The CLI's file loaded in Python, and Python's file scored by the CLI.
    loaded = cie.GradientBoostingClassifier.load(cli_model)
    assert np.array_equal(loaded.predict_proba(X)[:, 1], p)
    py_model, py_scores = tmp_path / "py.json", tmp_path / "py.csv"
    gb.save(py_model)
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            py_model, "--out", py_scores)
    assert np.array_equal(pd.read_csv(py_scores, float_precision="round_trip")["probability"], p)

    # Arrow dictionary columns, polars Categorical, and reordered pandas categories: the same.
    table = pa.Table.from_pandas(X, preserve_index=False)
    assert pa.types.is_dictionary(table.schema.field("job").type)
    polars_frame = pl.from_pandas(X)
    shuffled = X.copy()
    for name in CATEGORICAL:
        shuffled[name] = shuffled[name].cat.reorder_categories(
            list(reversed(shuffled[name].cat.categories)))
    for other in (table, polars_frame, shuffled):
        model = cie.GradientBoostingClassifier(30).fit(other, y)
        assert document(model.model_file_) == document(gb.model_file_)
        assert np.array_equal(model.predict_proba(other)[:, 1], p)


def test_missing_and_unseen_categories(bank):
    _, X, y = bank
    gb = cie.GradientBoostingClassifier(10).fit(X, y)
    test = X.head(50).copy()
    test["job"] = test["job"].cat.add_categories(["astronaut"])
    test.loc[test.index[0], "job"] = "astronaut"  # unseen in training
    test.loc[test.index[1], "job"] = np.nan  # missing
    p = gb.predict_proba(test)[:, 1]
    assert np.isfinite(p).all()
    # Unseen and missing are the same to the model: both have no level code.
    both = test.copy()
    both.loc[both.index[0], "job"] = np.nan
    assert np.array_equal(gb.predict_proba(both)[:, 1], p)


def test_wrong_categorical_input_names_the_column(bank):
    _, X, y = bank
    gb = cie.GradientBoostingClassifier(5).fit(X, y)
    strings = X.copy()
    strings["marital"] = strings["marital"].astype(str)
    with pytest.raises(TypeError, match="column 'marital'"):
        cie.GradientBoostingClassifier(5).fit(strings, y)
    with pytest.raises(TypeError, match="column 'marital'.*categorical"):
        gb.predict_proba(strings)
    numeric_as_category = X.copy()
    numeric_as_category["age"] = numeric_as_category["age"].astype("category")
    with pytest.raises(TypeError, match="column 'age'.*numeric"):
        gb.predict_proba(numeric_as_category)
    with pytest.raises(TypeError, match="column 'job'.*numeric columns only"):
        cie.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        gb.predict_proba(X[list(reversed(FEATURES))])
    with pytest.raises(ValueError, match="column 'balance' has inf"):
        bad = X.copy()
        bad["balance"] = bad["balance"].astype(float)
        bad.loc[bad.index[3], "balance"] = np.inf
        cie.GradientBoostingClassifier(5).fit(bad, y)
