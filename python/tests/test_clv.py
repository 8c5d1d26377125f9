"""cie.clv's estimators against `cie clv` on the real data sets: the same fitted sections of the
model file and the same predictions bit for bit, model files that round-trip both ways; then the
inputs (numpy, pandas, polars, pyarrow), bad input, scikit-learn's get_params/clone, pickling,
the GIL, and independent checks with scipy (the BG/NBD likelihood and E[X(t)], Gamma-Gamma's
expected spend)."""
import json
import pickle
import threading
import time

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from scipy.special import betaln, gammaln, hyp2f1
from sklearn.base import clone

import cie
from cie.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD

CDNOW_COLUMNS = ["--id-col", "ID", "--frequency-col", "x", "--recency-col", "t_x", "--value-col",
                 "zbar"]


@pytest.fixture(scope="module")
def cdnow(data_dir):
    path = data_dir / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
    return path, pd.read_csv(path)


def read_csv(path):
    return pd.read_csv(path, float_precision="round_trip")


def fitted_sections(text):
    document = json.loads(text)
    return document["params"], document["fitted"], document["training_metrics"]


def test_bgnbd_gamma_gamma_equal_the_cli(cdnow, run_cie, tmp_path):
    path, s = cdnow
    cli_model = tmp_path / "cli.json"
    run_cie("clv", "fit", "--summary", path, *CDNOW_COLUMNS, "--spend", "gamma-gamma",
            "--model", cli_model)
    bgf = BetaGeo().fit(s["x"], s["t_x"], s["T"])
    ggf = GammaGamma().fit(s["x"], s["zbar"])
    py_model = tmp_path / "py.json"
    bgf.save(py_model, spend=ggf)
    assert fitted_sections(cli_model.read_text()) == fitted_sections(py_model.read_text())
    # published (Fader, Hardie & Lee 2005): r 0.243, alpha 4.414, a 0.793, b 2.426
    assert np.allclose(bgf.params_.to_numpy(), [0.243, 4.414, 0.793, 2.426], atol=6e-4)
    assert bgf.converged_ and ggf.converged_ and bgf.n_customers_ == 2357

    # predictions: the CLI's CSV (read back exactly) against the estimators'
    run_cie("clv", "predict", "--summary", path, *CDNOW_COLUMNS, "--model", cli_model,
            "--horizon", "39", "--p-purchases", "2", "--out", tmp_path / "cli.csv")
    cli = read_csv(tmp_path / "cli.csv")
    args = (s["x"], s["t_x"], s["T"])
    assert np.array_equal(bgf.conditional_probability_alive(*args), cli["p_alive"])
    assert np.array_equal(bgf.conditional_expected_number_of_purchases_up_to_time(39, *args),
                          cli["expected_purchases"])
    assert np.array_equal(
        bgf.conditional_probability_of_n_purchases_up_to_time(2, 39, *args), cli["p_purchases_2"])
    assert np.array_equal(ggf.conditional_expected_average_profit(s["x"], s["zbar"]),
                          cli["expected_value"])
    assert np.array_equal(ggf.customer_lifetime_value(bgf, *args, s["zbar"]), cli["clv"])

    # the Python file read by the CLI, the CLI's file read by Python
    run_cie("clv", "predict", "--summary", path, *CDNOW_COLUMNS, "--model", py_model,
            "--horizon", "39", "--out", tmp_path / "py.csv")
    assert read_csv(tmp_path / "py.csv").equals(cli.drop(columns=[
        c for c in cli.columns if c.startswith("p_purchases")]))
    loaded, loaded_gg = BetaGeo.load(cli_model), GammaGamma.load(cli_model)
    assert loaded.params_.equals(bgf.params_) and loaded_gg.params_.equals(ggf.params_)
    assert loaded.log_likelihood_ == bgf.log_likelihood_
    assert np.array_equal(loaded_gg.customer_lifetime_value(loaded, *args, s["zbar"], time=6,
                                                            discount_rate=0.02, margin=0.3),
                          ggf.customer_lifetime_value(bgf, *args, s["zbar"], time=6,
                                                      discount_rate=0.02, margin=0.3))
    with pytest.raises(ValueError, match="bgnbd model, not pareto-nbd"):
        ParetoNBD.load(cli_model)


@pytest.mark.parametrize("estimator,model_type", [(ParetoNBD, "pareto-nbd"),
                                                  (ModifiedBetaGeo, "mbgnbd")])
def test_pareto_and_modified_equal_the_cli(estimator, model_type, data_dir, run_cie, tmp_path):
    path = data_dir / "cdnow" / "cdnow_customers_summary.csv"
    s = pd.read_csv(path)
    run_cie("clv", "fit", "--summary", path, "--id-col", "ID", "--model-type", model_type,
            "--penalizer", "0.001", "--model", tmp_path / "cli.json")
    model = estimator(penalizer_coef=0.001).fit(s["frequency"], s["recency"], s["T"])
    assert fitted_sections((tmp_path / "cli.json").read_text()) == fitted_sections(model.model_)
    run_cie("clv", "predict", "--summary", path, "--id-col", "ID", "--model", tmp_path / "cli.json",
            "--horizon", "10", "--p-purchases", "1", "--out", tmp_path / "cli.csv")
    cli = read_csv(tmp_path / "cli.csv")
    args = (s["frequency"], s["recency"], s["T"])
    assert np.array_equal(model.predict(10, *args), cli["expected_purchases"])
    assert np.array_equal(model.conditional_probability_alive(*args), cli["p_alive"])
    assert np.array_equal(model.conditional_probability_of_n_purchases_up_to_time(1, 10, *args),
                          cli["p_purchases_1"])


def test_bgbb_with_weights_equals_the_cli(data_dir, run_cie, tmp_path):
    path = data_dir / "donations-bgbb" / "donations.csv"
    s = pd.read_csv(path)
    run_cie("clv", "fit", "--summary", path, "--id-col", "", "--T-col", "periods", "--weights-col",
            "weights", "--model-type", "bgbb", "--model", tmp_path / "cli.json")
    model = BetaGeoBetaBinom().fit(s["frequency"], s["recency"], s["periods"], weights=s["weights"])
    assert fitted_sections((tmp_path / "cli.json").read_text()) == fitted_sections(model.model_)
    assert model.n_customers_ == s["weights"].sum()
    run_cie("clv", "predict", "--summary", path, "--id-col", "", "--T-col", "periods",
            "--model", tmp_path / "cli.json", "--horizon", "5", "--p-purchases", "3", "--out",
            tmp_path / "cli.csv")
    cli = read_csv(tmp_path / "cli.csv")
    args = (s["frequency"], s["recency"], s["periods"])
    assert np.array_equal(model.predict(5, *args), cli["expected_purchases"])
    assert np.array_equal(model.conditional_probability_of_n_purchases_up_to_time(3, 5, *args),
                          cli["p_purchases_3"])
    with pytest.raises(ValueError, match="recency: row 0 is not a whole number"):
        model.fit([1, 2], [1.5, 2], [3, 3])
    with pytest.raises(ValueError, match="frequency: row 1 exceeds recency"):
        model.fit([1, 3], [1, 2], [3, 3])


def test_inputs_of_every_kind_give_the_same_fit(cdnow):
    _, s = cdnow
    cols = ["x", "t_x", "T"]
    reference = BetaGeo().fit(*(s[c].to_numpy() for c in cols))
    table = pa.Table.from_pandas(s)
    frame = pl.from_pandas(s)
    for args in ([s[c] for c in cols], [table.column(c) for c in cols],
                 [frame.get_column(c) for c in cols], [s[c].tolist() for c in cols],
                 [np.asfortranarray(s[cols].to_numpy())[:, j] for j in range(3)]):
        model = BetaGeo().fit(*args)
        assert model.model_ != "" and model.params_.equals(reference.params_)
        assert model.log_likelihood_ == reference.log_likelihood_


def test_bad_input_names_the_column(cdnow):
    _, s = cdnow
    x, t_x, T = (s[c].to_numpy().copy() for c in ["x", "t_x", "T"])
    bad = t_x.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError, match="recency: row 5 is missing"):
        BetaGeo().fit(x, bad, T)
    bad = x.copy()
    bad[3] = -1
    with pytest.raises(ValueError, match="frequency: row 3 is negative"):
        BetaGeo().fit(bad, t_x, T)
    bad = t_x.copy()
    bad[0] = T[0] + 1
    with pytest.raises(ValueError, match="recency: row 0 exceeds T"):
        BetaGeo().fit(x, bad, T)
    with pytest.raises(ValueError, match="T: expected 2357 values"):
        BetaGeo().fit(x, t_x, T[:-1])
    with pytest.raises(TypeError, match="frequency: expected numbers"):
        BetaGeo().fit(["a"] * len(x), t_x, T)
    with pytest.raises(ValueError, match="every frequency is 0"):
        BetaGeo().fit(np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="monetary_value: row 2 is missing"):
        GammaGamma().fit(x, np.where(np.arange(len(x)) == 2, np.nan, s["zbar"]))
    with pytest.raises(ValueError, match="not fitted"):
        BetaGeo().conditional_probability_alive(x, t_x, T)
    with pytest.raises(ValueError, match="time_unit"):
        BetaGeo(time_unit="months").fit(x, t_x, T)
    # The engine's one screen (which lets valid columns skip the column-by-column checks) agrees
    # with them: each bad value above fails it.
    assert cie._core.clv_summary_valid(x, t_x, T, False)
    for column, row, value in ((1, 5, np.nan), (0, 3, -1.0), (1, 0, T[0] + 1), (0, 7, 0.5),
                               (2, 4, np.inf)):
        cols = [x.astype(float), t_x.astype(float), T.astype(float)]
        cols[column][row] = value
        assert not cie._core.clv_summary_valid(*cols, False)
    assert not cie._core.clv_summary_valid(np.array([2.0]), np.array([1.0]), np.array([3.0]),
                                           True)


def test_sklearn_params_clone_and_pickle(cdnow, tmp_path):
    _, s = cdnow
    args = (s["x"], s["t_x"], s["T"])
    model = BetaGeo(penalizer_coef=0.01, time_unit="days")
    assert model.get_params() == {"penalizer_coef": 0.01, "max_iter": 2000, "tol": 1e-9,
                                  "time_unit": "days", "threads": 0}
    model.set_params(penalizer_coef=0.0)
    model.fit(*args)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "model_")
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.predict(12, *args), model.predict(12, *args))
    ggf = GammaGamma().fit(s["x"], s["zbar"])
    restored_gg = pickle.loads(pickle.dumps(ggf))
    assert np.array_equal(restored_gg.customer_lifetime_value(restored, *args, s["zbar"]),
                          ggf.customer_lifetime_value(model, *args, s["zbar"]))
    assert json.loads(model.model_)["params"]["time_unit_days"] == 1
    assert BetaGeo.load(_saved(model, tmp_path)).time_unit == "days"
    assert list(model.summary.columns) == ["coef", "se(coef)", "lower 95% bound",
                                           "upper 95% bound"]
    assert cie.clv.BetaGeo is BetaGeo


def _saved(model, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    return path


def test_the_gil_is_released_during_a_fit():
    rng = np.random.default_rng(3)
    n = 200_000
    T = rng.uniform(1, 60, n)
    x = rng.poisson(2, n).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    model = BetaGeo(penalizer_coef=0.01)
    errors = []

    def fit():
        try:
            model.fit(x, t_x, T)
        except Exception as error:  # reported below
            errors.append(error)

    ticks = 0
    worker = threading.Thread(target=fit)
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert not errors and model.converged_
    assert ticks > 20  # the main thread kept running while the fit computed


def bgnbd_log_likelihood(params, x, t_x, T):
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    first = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    second = np.where(x > 0, betaln(a + 1, b + x - 1) - betaln(a, b)
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(head + np.logaddexp(first, second)))


def test_independent_scipy_checks(cdnow):
    _, s = cdnow
    x, t_x, T, m = (s[c].to_numpy() for c in ["x", "t_x", "T", "zbar"])
    bgf = BetaGeo().fit(x, t_x, T)
    p = bgf.params_.to_numpy()
    assert bgnbd_log_likelihood(p, x, t_x, T) == pytest.approx(bgf.log_likelihood_, rel=1e-12)
    for k in range(4):  # a maximum: every step away from it lowers the likelihood
        for step in (1e-4, -1e-4):
            q = p.copy()
            q[k] *= np.exp(step)
            assert bgnbd_log_likelihood(q, x, t_x, T) < bgf.log_likelihood_
    r, alpha, a, b = p
    t = np.array([1.0, 10.0, 52.0])
    z = t / (alpha + t)
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    assert np.allclose(bgf.expected_number_of_purchases_up_to_time(t), expected, rtol=1e-10)
    assert bgf.expected_number_of_purchases_up_to_time(10.0) == pytest.approx(expected[1],
                                                                              rel=1e-10)
    ggf = GammaGamma().fit(x, m)
    gp, gq, gv = ggf.params_.to_numpy()
    spend = np.where(m > 0, gp * (gv + x * m) / (gp * x + gq - 1), gp * gv / (gq - 1))
    assert np.allclose(ggf.conditional_expected_average_profit(x, m), spend, rtol=1e-12)
    assert ggf.no_repeat_ == np.sum(x == 0) and ggf.excluded_nonpositive_ == 0
