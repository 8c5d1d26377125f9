"""cie.uplift against `cie uplift train --validation 0` / `cie uplift score` on Hillstrom (Mens
E-Mail against No E-Mail, target visit): the same model file (every section but the creation
time, checksum and the CLI's input list), the same uplift, p_treated and p_control bit for bit,
model files that round-trip both ways; then inputs (pandas, polars, pyarrow, numpy, 0/1
treatment), errors, and scikit-learn integration (clone, pickle, GridSearchCV with a Qini
scorer through metadata routing, the estimator checks that apply)."""
import json
import pickle

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

import cie
import cie.uplift as up
from gil_probe import ticks_during
from model_documents import assert_same

OUTCOMES = ["visit", "conversion", "spend"]
TREATED, CONTROL = "Mens E-Mail", "No E-Mail"
METHODS = {"two-model": up.TwoModels, "class-transformation": up.ClassTransformation,
           "x-learner": up.XLearner}


def documents_equal(a_text: str, b_text: str, ignore_params=("inputs",)):
    assert_same(a_text, b_text, ignore_params)


@pytest.fixture(scope="module")
def hillstrom(data_dir):
    path = data_dir / "hillstrom" / "hillstrom.csv"
    frame = pd.read_csv(path, float_precision="round_trip")
    for name in frame.columns:
        if frame[name].dtype == object and name != "segment":
            frame[name] = frame[name].astype("category")
    return path, frame


def features(frame):
    return frame.drop(columns=["segment", *OUTCOMES])


def cli_train(run_cie, path, model, method, *extra):
    run_cie("uplift", "train", "--table", path, "--no-id", "--treatment", "segment", "--treated",
            TREATED, "--control", CONTROL, "--target", "visit", "--exclude", "conversion,spend",
            "--validation", 0, "--method", method, "--model", model, *extra)


def cli_scores(run_cie, path, model, out):
    run_cie("uplift", "score", "--model", model, "--table", path, "--no-id", "--out", out)
    return pd.read_csv(out, float_precision="round_trip")


CASES = [("two-model", None, ()), ("class-transformation", None, ()), ("x-learner", None, ()),
         ("two-model", "gbdt", ("--model-type", "gbdt", "--n-trees", 20)),
         ("x-learner", "gbdt", ("--model-type", "gbdt", "--n-trees", 10, "--num-leaves", 15))]


@pytest.mark.parametrize("method,learner,cli_options", CASES,
                         ids=[f"{m}-{l or 'logistic'}" for m, l, _ in CASES])
def test_equals_the_cli_bit_for_bit_both_ways(hillstrom, run_cie, tmp_path, method, learner,
                                              cli_options):
    path, frame = hillstrom
    cli_model = tmp_path / "cli.json"
    cli_train(run_cie, path, cli_model, method, *cli_options)
    estimator = None
    if learner == "gbdt":
        n = dict(zip(cli_options[::2], cli_options[1::2]))
        estimator = cie.GradientBoostingClassifier(n_estimators=n["--n-trees"],
                                                   num_leaves=n.get("--num-leaves", 31))
    model = METHODS[method](estimator, treated=TREATED, control=CONTROL)
    model.fit(features(frame), frame["visit"], frame["segment"])
    documents_equal(model.model_file_, cli_model.read_text())
    assert model.n_features_in_ == 8 and list(model.feature_names_in_) == list(features(frame))
    assert model.categorical_features_ == ["history_segment", "zip_code", "channel"]

    # The CLI scores every customer (all three segments) with its file and with Python's.
    scores = cli_scores(run_cie, path, cli_model, tmp_path / "cli_scores.csv")
    uplift = model.predict(features(frame))
    assert np.array_equal(scores["uplift"].to_numpy(), uplift)
    if method != "class-transformation":
        p_treated, p_control = model.predict_response(features(frame))
        assert np.array_equal(scores["p_treated"].to_numpy(), p_treated)
        assert np.array_equal(scores["p_control"].to_numpy(), p_control)
    else:
        assert not hasattr(model, "predict_response")
    py_model = tmp_path / "py.json"
    model.save(py_model)
    from_python = cli_scores(run_cie, path, py_model, tmp_path / "py_scores.csv")
    assert np.array_equal(from_python["uplift"].to_numpy(), uplift)

    # CLI file -> Python: the same class, parameters and predictions.
    loaded = up.load(cli_model)
    assert type(loaded) is METHODS[method]
    assert (loaded.treated, loaded.control) == (TREATED, CONTROL)
    assert type(loaded.estimator) is type(model.estimator or cie.LogisticRegression())
    if learner == "gbdt":
        assert loaded.estimator.n_estimators == model.estimator.n_estimators
    assert np.array_equal(loaded.predict(features(frame)), uplift)
    assert np.array_equal(METHODS[method].load(py_model).predict(features(frame)), uplift)

    # score: the Qini coefficient the CLI reports on the same (training) rows.
    report = json.loads(cli_model.read_text())["training_metrics"]
    assert model.score(features(frame), frame["visit"], frame["segment"]) == \
        report["qini_coefficient"]
    assert model.training_report_["auuc"] == report["auuc"]


@pytest.fixture(scope="module")
def two_arms(hillstrom):
    """The Mens and No E-Mail rows, 0/1 treatment, and the two-model fit on them."""
    _, frame = hillstrom
    rows = frame[frame["segment"].isin([TREATED, CONTROL])].reset_index(drop=True)
    X = features(rows)
    treatment = (rows["segment"] == TREATED).astype(int).rename("segment")
    model = up.TwoModels().fit(X, rows["visit"], treatment)
    return X, rows["visit"], treatment, model


def test_a_0_1_treatment_gives_the_labels_model(hillstrom, two_arms):
    _, frame = hillstrom
    X, y, treatment, model = two_arms
    labels = up.TwoModels(treated=TREATED, control=CONTROL).fit(
        features(frame), frame["visit"], frame["segment"])
    documents_equal(model.model_file_, labels.model_file_,
                    ignore_params=("inputs", "treated", "control"))
    assert json.loads(model.model_file_)["params"]["treated"] == "1"
    for values in (treatment.to_numpy(), treatment.astype(bool), treatment.astype(float),
                   pl.Series("segment", treatment.to_numpy())):
        again = up.TwoModels().fit(X, y, values)
        documents_equal(model.model_file_, again.model_file_,
                        ignore_params=("inputs", "treatment_column"))
    # treated= without control=: every other label is the control.
    other = up.TwoModels(treated=TREATED).fit(X, y, np.where(treatment == 1, TREATED, "rest"))
    documents_equal(model.model_file_, other.model_file_,
                    ignore_params=("inputs", "treated", "control", "treatment_column"))


def test_pandas_polars_pyarrow_and_numpy_inputs_are_identical(two_arms):
    X, y, treatment, model = two_arms
    expected = model.predict(X)
    variants = {"polars": pl.from_pandas(X), "pyarrow": pa.Table.from_pandas(X),
                "categories reversed": X.assign(
                    channel=X["channel"].cat.reorder_categories(
                        X["channel"].cat.categories[::-1]))}
    for name, variant in variants.items():
        fitted = up.TwoModels().fit(variant, y, treatment)
        documents_equal(model.model_file_, fitted.model_file_)
        assert np.array_equal(fitted.predict(variant), expected), name
        assert np.array_equal(model.predict(variant), expected), name
    numeric = X.select_dtypes("number")
    by_frame = up.XLearner().fit(numeric, y, treatment)
    for array in (numeric.to_numpy(), np.asfortranarray(numeric.to_numpy(dtype=np.float64))):
        by_array = up.XLearner().fit(array, y, treatment)
        # The same model but for the feature names (a numpy array's columns are x0, x1, ...).
        assert by_array.feature_names_out_[0] == "x0"
        assert np.array_equal(by_array.predict(array), by_frame.predict(numeric))


def test_errors_name_the_problem(two_arms):
    X, y, treatment, _ = two_arms
    with pytest.raises(ValueError, match="treatment: expected 0/1"):
        up.TwoModels().fit(X, y, treatment.to_numpy() * 2)
    with pytest.raises(ValueError, match="treated: no row of treatment holds 'nobody'"):
        up.TwoModels(treated="nobody").fit(X, y, treatment)
    with pytest.raises(ValueError, match="control: give treated as well"):
        up.TwoModels(control=0).fit(X, y, treatment)
    with pytest.raises(ValueError, match="y: expected the response as 0/1"):
        up.TwoModels().fit(X, y * 3, treatment)
    sure = y.copy()
    sure[treatment.to_numpy() == 0] = 1
    with pytest.raises(ValueError, match="every one of the 21306 rows of the control has visit"):
        up.ClassTransformation().fit(X, sure, treatment)
    with pytest.raises(ValueError, match="treatment has 3 values but X has"):
        up.TwoModels().fit(X, y, [0, 1, 0])
    with pytest.raises(TypeError, match="estimator: expected None, a cie.LogisticRegression"):
        up.TwoModels(SklearnLogisticRegression()).fit(X, y, treatment)
    with pytest.raises(ValueError, match=r"LogisticRegression\(solver='newton'\) is not used"):
        up.TwoModels(cie.LogisticRegression(solver="newton")).fit(X, y, treatment)
    with pytest.raises(TypeError, match="column 'channel'"):
        up.TwoModels().fit(X.assign(channel=X["channel"].astype(str)), y, treatment)
    with pytest.raises(ValueError, match="column 'history' has inf at row 3"):
        up.TwoModels().fit(X.assign(history=X["history"].where(X.index != 3, np.inf)), y,
                           treatment)
    model = up.TwoModels()
    with pytest.raises(ValueError):
        model.fit(X, y, treatment.to_numpy() * 2)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_missing_values_are_imputed_as_the_cli_does(two_arms):
    X, y, treatment, _ = two_arms
    holes = X.assign(history=X["history"].where(X.index % 7 != 0, np.nan))
    model = up.TwoModels().fit(holes, y, treatment)
    assert "history__missing" in model.feature_names_out_
    assert np.isfinite(model.predict(holes)).all()


def test_clone_pickle_and_params(two_arms):
    X, y, treatment, model = two_arms
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "model_file_")
    restored = pickle.loads(pickle.dumps(model))
    assert restored.model_file_ == model.model_file_
    assert np.array_equal(restored.predict(X), model.predict(X))
    gbdt = up.XLearner(cie.GradientBoostingClassifier(n_estimators=5))
    gbdt.set_params(estimator__num_leaves=7, threads=1)
    assert gbdt.get_params()["estimator__num_leaves"] == 7
    fitted = gbdt.fit(X, y, treatment)
    assert json.loads(fitted.model_file_)["params"]["gbdt"]["num_leaves"] == 7


def test_grid_search_with_a_qini_scorer(two_arms):
    X, y, treatment, _ = two_arms
    X, y, treatment = X[:8000], y[:8000], treatment[:8000]
    with sklearn.config_context(enable_metadata_routing=True):
        base = up.TwoModels(cie.LogisticRegression()).set_fit_request(treatment=True)
        scorer = make_scorer(up.qini_score).set_score_request(treatment=True)
        search = GridSearchCV(base, {"estimator__C": [0.01, 1.0]}, cv=3, scoring=scorer)
        search.fit(X, y, treatment=treatment)
        # The estimator's own score (scoring=None) is the same Qini coefficient.
        by_score = GridSearchCV(base.set_score_request(treatment=True),
                                {"estimator__C": [0.01, 1.0]}, cv=3)
        by_score.fit(X, y, treatment=treatment)
    assert np.array_equal(search.cv_results_["mean_test_score"],
                          by_score.cv_results_["mean_test_score"])
    best = search.best_estimator_
    assert best.estimator.C in (0.01, 1.0)
    first_test = np.arange(len(X))[: len(X) // 3 + (len(X) % 3 > 0)]
    train = np.setdiff1d(np.arange(len(X)), first_test)
    manual = clone(base).set_params(estimator__C=0.01).fit(X.iloc[train], y.iloc[train],
                                                           treatment.iloc[train])
    assert manual.score(X.iloc[first_test], y.iloc[first_test], treatment.iloc[first_test]) == \
        search.cv_results_["split0_test_score"][0]


def test_metrics_equal_the_engine_report(two_arms):
    X, y, treatment, model = two_arms
    report = model.training_report_
    uplift = model.predict(X)
    assert up.qini_score(y, uplift, treatment) == report["qini_coefficient"]
    assert up.uplift_auc_score(y, uplift, treatment) == report["auuc"]


@pytest.mark.parametrize("method", ["two-model", "x-learner"])
def test_several_arms_equal_the_cli(hillstrom, run_cie, tmp_path, method):
    path, frame = hillstrom
    cli_model = tmp_path / "arms.json"
    run_cie("uplift", "train", "--table", path, "--no-id", "--treatment", "segment", "--arms",
            "all", "--control", CONTROL, "--target", "visit", "--exclude", "conversion,spend",
            "--validation", 0, "--method", method, "--model", cli_model)
    model = METHODS[method](arms="all", control=CONTROL)
    model.fit(features(frame), frame["visit"], frame["segment"])
    documents_equal(model.model_file_, cli_model.read_text())
    assert list(model.arms_) == ["Mens E-Mail", "Womens E-Mail"] and model.control_ == CONTROL
    by_arm, best = model.predict_arms(features(frame))
    scores = cli_scores(run_cie, path, cli_model, tmp_path / "scores.csv")
    assert np.array_equal(scores["Mens E-Mail_uplift"].to_numpy(), by_arm[:, 0])
    assert np.array_equal(scores["Womens E-Mail_uplift"].to_numpy(), by_arm[:, 1])
    assert np.array_equal(scores["best_arm"].to_numpy(), best)
    assert np.array_equal(scores["uplift"].to_numpy(), model.predict(features(frame)))
    assert not hasattr(model, "predict_response")
    # Listed arms in another order: the same learners, columns in that order.
    listed = METHODS[method](arms=["Womens E-Mail", "Mens E-Mail"], control=CONTROL)
    listed.fit(features(frame), frame["visit"], frame["segment"])
    assert np.array_equal(listed.predict_arms(features(frame))[0], by_arm[:, ::-1])
    # Both ways: the CLI's file in Python, Python's file in the CLI.
    loaded = up.load(cli_model)
    assert type(loaded) is METHODS[method] and list(loaded.arms) == list(model.arms_)
    assert np.array_equal(loaded.predict(features(frame)), model.predict(features(frame)))
    model.save(tmp_path / "py.json")
    again = cli_scores(run_cie, path, tmp_path / "py.json", tmp_path / "py_scores.csv")
    assert again.equals(scores)
    # score: the mean of the arms' Qini coefficients, each as the CLI reports it.
    reports = json.loads(cli_model.read_text())["training_metrics"]["arms"]
    assert model.score(features(frame), frame["visit"], frame["segment"]) == \
        np.mean([arm["qini_coefficient"] for arm in reports])
    with pytest.raises(ValueError, match="arms: control names the control group"):
        up.TwoModels(arms="all").fit(features(frame), frame["visit"], frame["segment"])
    with pytest.raises(ValueError, match="arms: no row of treatment holds 'Kids E-Mail'"):
        up.TwoModels(arms=["Kids E-Mail"], control=CONTROL).fit(
            features(frame), frame["visit"], frame["segment"])


# scikit-learn's estimator checks fit with fit(X, y); the uplift learners need the treatment too
# (fit(X, y, treatment), scikit-uplift's signature), so every check that fits fails by design
# with a TypeError. These are the checks that do not fit; they must pass.
CHECKS_WITHOUT_FIT = [
    "check_no_attributes_set_in_init", "check_parameters_default_constructible",
    "check_get_params_invariance", "check_set_params", "check_estimator_repr",
    "check_estimator_cloneable", "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_tags_renamed", "check_valid_tag_types", "check_mixin_order",
    "check_estimators_unfitted",
]


@pytest.mark.parametrize("check", CHECKS_WITHOUT_FIT)
@pytest.mark.parametrize("make", list(METHODS.values()), ids=list(METHODS))
def test_sklearn_checks_that_apply(make, check):
    estimator = make()
    getattr(estimator_checks, check)(type(estimator).__name__, estimator)


class _WithTreatment:
    """fit(X, y) of an uplift learner with a fixed treatment (test_interrupt's helper fits so)."""

    def __init__(self, model, treatment):
        self.model, self.treatment = model, treatment

    def fit(self, X, y):
        return self.model.fit(X, y, self.treatment)


def test_ctrl_c_stops_a_fit_and_leaves_the_learner_unfitted():
    from test_interrupt import ROWS, interrupted_fit
    rng = np.random.default_rng(1)
    X = np.asfortranarray(rng.normal(size=(ROWS, 4)))
    treatment = rng.integers(0, 2, size=ROWS)
    y = (X[:, 0] * treatment + rng.normal(size=ROWS) > 0).astype(int)
    model = up.XLearner(cie.GradientBoostingClassifier(n_estimators=100_000, num_leaves=63,
                                                       min_samples_leaf=1), threads=1)
    error, latency = interrupted_fit(_WithTreatment(model, treatment), X, y, delay=1.0)
    assert isinstance(error, KeyboardInterrupt) and latency < 10.0
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_readme_uplift_example(data_dir, run_cie, tmp_path):
    # --- README example (py4-readme.md) ------------------------------------------------------
    hill = pd.read_csv(data_dir / "hillstrom" / "hillstrom.csv")
    for name in ["history_segment", "zip_code", "channel"]:
        hill[name] = hill[name].astype("category")
    X = hill.drop(columns=["segment", "visit", "conversion", "spend"])
    # Mens E-Mail against No E-Mail (the Womens E-Mail rows are left out), as
    # `cie uplift train --treated "Mens E-Mail" --control "No E-Mail" --validation 0`.
    model = cie.uplift.XLearner(treated="Mens E-Mail", control="No E-Mail")
    model.fit(X, hill["visit"], hill["segment"])
    uplift = model.predict(X)                          # per customer, all 64,000
    p_treated, p_control = model.predict_response(X)   # the response models
    model.save(tmp_path / "uplift.json")               # cie uplift score --model uplift.json
    # Both e-mails against the control in one model: each arm's uplift and the best arm.
    arms = cie.uplift.TwoModels(arms="all", control="No E-Mail")
    by_arm, best_arm = arms.fit(X, hill["visit"], hill["segment"]).predict_arms(X)
    # Tuning on the Qini coefficient: the treatment travels by scikit-learn's metadata routing.
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            cie.uplift.TwoModels(cie.LogisticRegression(), treated="Mens E-Mail",
                                 control="No E-Mail")
            .set_fit_request(treatment=True).set_score_request(treatment=True),
            {"estimator__C": [0.01, 1.0]}, cv=5)   # scoring=None: the learner's score (Qini)
        search.fit(X, hill["visit"], treatment=hill["segment"])
    # --- end of the example ------------------------------------------------------------------
    assert uplift.shape == (64000,) and np.isfinite(p_treated - p_control).all()
    assert by_arm.shape == (64000, 2) and set(best_arm) <= {"Mens E-Mail", "Womens E-Mail"}
    assert search.best_params_["estimator__C"] in (0.01, 1.0)
    scores = cli_scores(run_cie, data_dir / "hillstrom" / "hillstrom.csv",
                        tmp_path / "uplift.json", tmp_path / "scores.csv")
    assert np.array_equal(scores["uplift"].to_numpy(), uplift)
    print(f"x-learner training Qini {model.training_report_['qini_coefficient']:.6f}; "
          f"best arm Mens {np.mean(best_arm == 'Mens E-Mail'):.4f}; grid "
          f"{search.cv_results_['mean_test_score']} best C {search.best_params_}")


def test_gil_is_released_while_fitting_and_predicting():
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.normal(size=(100_000, 4)))
    treatment = rng.integers(0, 2, size=len(X))
    y = (X[:, 0] * treatment + rng.normal(size=len(X)) > 0).astype(int)
    model = up.XLearner(cie.GradientBoostingClassifier(n_estimators=50), threads=1)
    many = np.asfortranarray(np.tile(X, (5, 1)))  # scoring is fast: more rows to score
    for work in (lambda: model.fit(X, y, treatment), lambda: model.predict(many)):
        elapsed, during = ticks_during(work)
        # With the GIL held for the whole call the ticker could not run at all.
        assert elapsed > 0.02 and during >= 3, (elapsed, during)
