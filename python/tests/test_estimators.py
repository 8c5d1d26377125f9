"""cie.KMeans and cie.LogisticRegression against the `cie` command on real data: the same model
file (every section but the creation time and checksum; the CLI's input list), the same labels
and probabilities bit for bit, and model files that round-trip both ways. Then scikit-learn
integration: Pipeline, GridSearchCV, clone, pickle."""

import pickle

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import cie
from model_documents import assert_same

RFM_FEATURES = ["recency_days", "frequency", "monetary_total"]
BANK_FEATURES = ["age", "balance", "day", "campaign", "pdays", "previous"]


@pytest.fixture(scope="module")
def rfm_csv(data_dir, run_cie, tmp_path_factory):
    out = tmp_path_factory.mktemp("est") / "cdnow_rfm.csv"
    run_cie("rfm", "--transactions", data_dir / "cdnow" / "CDNOW_master.txt", "--delimiter",
            "whitespace", "--amount-col", "dollar_value", "--out", out)
    return out


def test_kmeans_model_file_equals_cli_both_ways(rfm_csv, run_cie, tmp_path):
    cli_model, cli_out = tmp_path / "cli.json", tmp_path / "cli_assign.csv"
    run_cie("segment", "fit", "--input", rfm_csv, "--k", 4, "--model", cli_model, "--out",
            cli_out)
    frame = pd.read_csv(rfm_csv, dtype={"customer_id": str}, float_precision="round_trip")
    km = cie.KMeans(4, transforms="rfm", standardize=True).fit(frame[RFM_FEATURES])
    assert_same(km.model_file_, cli_model.read_text())
    cli_labels = pd.read_csv(cli_out)["cluster"].to_numpy()
    assert np.array_equal(km.labels_, cli_labels)
    assert list(km.feature_names_in_) == RFM_FEATURES and km.n_features_in_ == 3

    # CLI model -> Python; Python model -> CLI.
    loaded = cie.KMeans.load(cli_model)
    assert loaded.standardize and loaded.n_clusters == 4
    assert np.array_equal(loaded.predict(frame[RFM_FEATURES]), km.predict(frame[RFM_FEATURES]))
    py_model, py_out = tmp_path / "py.json", tmp_path / "py_assign.csv"
    km.save(py_model)
    run_cie("segment", "assign", "--input", rfm_csv, "--model", py_model, "--out", py_out)
    assigned = pd.read_csv(py_out, float_precision="round_trip")
    assert np.array_equal(assigned["cluster"].to_numpy(), km.predict(frame[RFM_FEATURES]))
    assert np.array_equal(assigned["cluster_name"].to_numpy(),
                          np.asarray(km.cluster_names_)[assigned["cluster"]])
    distance = km.transform(frame[RFM_FEATURES]).min(axis=1)
    assert np.allclose(assigned["distance"].to_numpy(), distance, rtol=1e-5, atol=1e-6)


def test_kmeans_inputs_give_identical_results(rfm_csv):
    frame = pd.read_csv(rfm_csv, dtype={"customer_id": str}, float_precision="round_trip")
    X = frame[RFM_FEATURES].to_numpy(dtype=np.float64)
    expected = cie.KMeans(5).fit(X).labels_
    for variant in (np.ascontiguousarray(X), np.asfortranarray(X), X.astype(np.float32),
                    np.asfortranarray(X.astype(np.float32))):
        labels = cie.KMeans(5).fit(variant).labels_
        if variant.dtype == np.float64:
            assert np.array_equal(labels, expected)
        else:  # float32 rounds the money values: a few rows may flip
            assert (labels == expected).mean() > 0.99
    by_name = cie.KMeans(5).fit(frame[RFM_FEATURES])
    assert np.array_equal(by_name.labels_, expected)
    for table in (pl.from_pandas(frame[RFM_FEATURES]),
                  pa.Table.from_pandas(frame[RFM_FEATURES], preserve_index=False)):
        km = cie.KMeans(5).fit(table)
        assert np.array_equal(km.labels_, expected)
        assert list(km.feature_names_in_) == RFM_FEATURES


@pytest.fixture(scope="module")
def bank(data_dir):
    path = data_dir / "bank-marketing" / "bank.csv"
    return path, pd.read_csv(path, sep=";")


def test_logistic_model_file_equals_cli_both_ways(bank, run_cie, tmp_path):
    path, frame = bank
    cli_model = tmp_path / "cli.json"
    run_cie("propensity", "train", "--table", path, "--delimiter", ";", "--no-id", "--target",
            "y", "--positive", "yes", "--features", ",".join(BANK_FEATURES), "--validation", 0,
            "--model", cli_model)
    lr = cie.LogisticRegression().fit(frame[BANK_FEATURES], frame["y"])
    assert_same(lr.model_file_, cli_model.read_text(), ignore_params=("inputs",))
    assert list(lr.classes_) == ["no", "yes"]

    cli_scores = tmp_path / "cli_scores.csv"
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            cli_model, "--out", cli_scores)
    p = lr.predict_proba(frame[BANK_FEATURES])[:, 1]
    cli_p = pd.read_csv(cli_scores, float_precision="round_trip")["probability"].to_numpy()
    assert np.array_equal(p, cli_p)

    py_model, py_scores = tmp_path / "py.json", tmp_path / "py_scores.csv"
    lr.save(py_model)
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            py_model, "--out", py_scores)
    py_p = pd.read_csv(py_scores, float_precision="round_trip")["probability"].to_numpy()
    assert np.array_equal(py_p, p)
    loaded = cie.LogisticRegression.load(cli_model)
    assert np.array_equal(loaded.predict_proba(frame[BANK_FEATURES])[:, 1], p)
    assert list(loaded.classes_) == ["<other>", "yes"]


def test_gbdt_model_file_equals_cli_both_ways(bank, run_cie, tmp_path):
    path, frame = bank
    cli_model = tmp_path / "cli.json"
    run_cie("propensity", "train", "--table", path, "--delimiter", ";", "--no-id", "--target",
            "y", "--positive", "yes", "--features", ",".join(BANK_FEATURES), "--validation", 0,
            "--model-type", "gbdt", "--n-trees", 30, "--model", cli_model)
    gb = cie.GradientBoostingClassifier(30).fit(frame[BANK_FEATURES], frame["y"])
    assert_same(gb.model_file_, cli_model.read_text(), ignore_params=("inputs",))
    assert gb.n_estimators_ == 30 and gb.feature_importances_.sum() == pytest.approx(1.0)
    cli_scores, py_model, py_scores = (tmp_path / "cli.csv", tmp_path / "py.json",
                                       tmp_path / "py.csv")
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            cli_model, "--out", cli_scores)
    gb.save(py_model)
    run_cie("propensity", "score", "--table", path, "--delimiter", ";", "--no-id", "--model",
            py_model, "--out", py_scores)
    p = gb.predict_proba(frame[BANK_FEATURES])[:, 1]
    for scores in (cli_scores, py_scores):
        assert np.array_equal(pd.read_csv(scores, float_precision="round_trip")["probability"],
                              p)
    loaded = cie.GradientBoostingClassifier.load(cli_model)
    assert loaded.n_estimators == 30
    assert np.array_equal(loaded.predict_proba(frame[BANK_FEATURES])[:, 1], p)
    with pytest.raises(ValueError, match="learner"):
        cie.LogisticRegression.load(cli_model)


def test_sklearn_pipeline_gridsearch_clone_pickle(bank):
    _, frame = bank
    X, y = frame[BANK_FEATURES], (frame["y"] == "yes").astype(int)
    pipe = Pipeline([("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
                     ("model", cie.LogisticRegression())])
    X_pos = X.clip(lower=0)
    search = GridSearchCV(pipe, {"model__C": [0.01, 1.0], "model__penalty": ["l2", "l1"]},
                          cv=3, scoring="roc_auc")
    search.fit(X_pos, y)
    assert search.best_score_ > 0.6
    assert set(search.best_params_) == {"model__C", "model__penalty"}

    lr = cie.LogisticRegression(C=0.5).fit(X, y)
    twin = clone(lr)
    assert twin.get_params() == lr.get_params() and not hasattr(twin, "model_file_")
    restored = pickle.loads(pickle.dumps(lr))
    assert restored.model_file_ == lr.model_file_
    assert np.array_equal(restored.predict_proba(X), lr.predict_proba(X))
    assert lr.score(X, y) == restored.score(X, y) > 0.8

    gb = cie.GradientBoostingClassifier(10).fit(X, y)
    assert np.array_equal(pickle.loads(pickle.dumps(gb)).predict_proba(X), gb.predict_proba(X))

    km = cie.KMeans(3).fit(X)
    again = pickle.loads(pickle.dumps(km))
    assert np.array_equal(again.predict(X), km.predict(X)) and again.inertia_ == km.inertia_
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-9) or km.refine == "hartigan"


def test_bad_input_is_an_exception_naming_the_column():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, np.nan, 0.0, 5.0]})
    with pytest.raises(ValueError, match="column 'b' has NaN at row 1"):
        cie.KMeans(2).fit(X)
    with pytest.raises(ValueError, match="column 'b' has inf at row 2"):
        cie.LogisticRegression().fit(X.replace(0.0, np.inf), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="column 'b' has NaN"):
        cie.LogisticRegression(missing="error").fit(X, [0, 1, 0, 1])
    fitted = cie.LogisticRegression().fit(X, [0, 1, 0, 1])  # NaN imputed, with an indicator
    assert list(fitted.feature_names_out_) == ["a", "b", "b__missing"]  # only b has NaN
    with pytest.raises(TypeError, match="column 'a'"):
        cie.KMeans(2).fit(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(ValueError, match="3 features"):
        cie.KMeans(2).fit(X.fillna(0)).predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="device"):
        cie.KMeans(2, device="tpu").fit(X.fillna(0))
    if not cie.built_with_cuda():
        with pytest.raises(RuntimeError):
            cie.KMeans(2, device="cuda").fit(X.fillna(0))
    with pytest.raises(ValueError, match="expected 4 weights"):
        cie.KMeans(2).fit(X.fillna(0), sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="all weights are zero"):
        cie.KMeans(2).fit(X.fillna(0), sample_weight=np.zeros(4))
    with pytest.raises(ValueError, match="2 classes"):
        cie.LogisticRegression().fit(X.fillna(0), [0, 1, 2, 1])
