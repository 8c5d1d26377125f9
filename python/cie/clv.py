"""cie.clv: the "buy till you die" models of `cie clv` as estimators in the style of lifetimes and
scikit-learn: BetaGeo (BG/NBD), ModifiedBetaGeo (MBG/NBD), ParetoNBD, BetaGeoBetaBinom (BG/BB) and
GammaGamma (spend).

Each is fitted on lifetimes' summary columns (frequency, recency, T; monetary_value for
GammaGamma) given as numpy arrays, pandas/polars Series, pyarrow arrays or lists (read as float64
columns: a float64 C-contiguous numpy array is used as it is, anything else is copied). The fit and
every prediction are the engine's (models/clv, the code of `cie clv fit --summary` and `cie clv
predict`), so on the same summary they give the CLI's results bit for bit; the GIL is released
while they compute. A fitted model is the text of the CLI's model file: save() writes that file
(with a GammaGamma fit joined in, as `cie clv fit --spend gamma-gamma` writes it), load() reads a
file the CLI wrote, pickling keeps the text.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from cie import _core

__all__ = ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom", "GammaGamma"]

_TIME_UNITS = {"weeks": 7, "days": 1}


def _column(values, name: str) -> np.ndarray:
    """`values` as a 1-D float64 C-contiguous numpy array (nulls as NaN); a TypeError naming the
    column for anything that is not numeric."""
    module = type(values).__module__.split(".")[0]
    try:
        if module == "pandas":
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        elif module == "polars":
            values = values.cast(float).to_numpy()
        elif module == "pyarrow":
            values = values.to_numpy(zero_copy_only=False)
        array = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected numbers ({error})") from None
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D column, got shape {array.shape}")
    return array


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_finite(array: np.ndarray, name: str, n: int) -> None:
    if array.shape[0] != n:
        raise ValueError(f"{name}: expected {n} values (the length of frequency), got "
                         f"{array.shape[0]}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name}: row {_first(bad)} is missing or not finite (NaN or inf)")


def _summary(frequency, recency, T, *, discrete=False, T_name="T"):
    """The checked columns (x, t_x, T): ValueError naming the column and the first bad row (no
    values: they are customer data). The checks are the engine's (find_invalid_row, and
    find_invalid_discrete_row with discrete), so the engine calls skip theirs (checked=True)."""
    x = _column(frequency, "frequency")
    t_x = _column(recency, "recency")
    age = _column(T, T_name)
    n = x.shape[0]
    if t_x.shape[0] == n and age.shape[0] == n and _core.clv_summary_valid(x, t_x, age, discrete):
        return x, t_x, age  # the engine's one screen passed: the checks below find nothing
    for array, name in ((x, "frequency"), (t_x, "recency"), (age, T_name)):
        _check_finite(array, name, n)
        if (array < 0).any():
            raise ValueError(f"{name}: row {_first(array < 0)} is negative")
    if (x != np.floor(x)).any():
        raise ValueError(f"frequency: row {_first(x != np.floor(x))} is not a whole number")
    if (t_x > age).any():
        raise ValueError(f"recency: row {_first(t_x > age)} exceeds {T_name}")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError(f"recency: row {_first((x == 0) & (t_x != 0))} is not 0 where frequency "
                         f"is 0")
    if discrete:
        for array, name in ((t_x, "recency"), (age, T_name)):
            if (array != np.floor(array)).any():
                raise ValueError(f"{name}: row {_first(array != np.floor(array))} is not a whole "
                                 f"number of opportunities")
        if (x > t_x).any():
            raise ValueError(f"frequency: row {_first(x > t_x)} exceeds recency")
    return x, t_x, age


def _weights(weights, n: int):
    if weights is None:
        return None
    w = _column(weights, "weights")
    _check_finite(w, "weights", n)
    if (w < 0).any():
        raise ValueError(f"weights: row {_first(w < 0)} is negative")
    return w


def _monetary(monetary_value, n: int) -> np.ndarray:
    m = _column(monetary_value, "monetary_value")
    _check_finite(m, "monetary_value", n)
    return m


class _Fitted:
    """The fitted attributes of one distribution (a model file's fitted.<section> and
    training_metrics.<section>)."""

    @staticmethod
    def set(estimator, fitted: dict, metrics: dict, names) -> None:
        estimator.params_ = pd.Series([float(fitted["parameters"][k]) for k in names],
                                      index=names, dtype=np.float64)
        estimator.standard_errors_ = pd.Series(
            [np.nan if fitted["std_errors"][k] is None else float(fitted["std_errors"][k])
             for k in names], index=names, dtype=np.float64)
        estimator.log_likelihood_ = float(metrics.get("log_likelihood", np.nan))
        estimator.n_iter_ = int(metrics.get("iterations", 0))
        estimator.converged_ = bool(metrics.get("converged", False))
        estimator.warnings_ = list(metrics.get("warnings", []))
        estimator.n_customers_ = float(metrics.get("customers", 0.0))
        estimator.n_rows_ = int(metrics.get("rows", 0))

    @staticmethod
    def summary(estimator) -> pd.DataFrame:
        se = estimator.standard_errors_
        return pd.DataFrame({"coef": estimator.params_, "se(coef)": se,
                             "lower 95% bound": estimator.params_ - 1.96 * se,
                             "upper 95% bound": estimator.params_ + 1.96 * se})


class _PurchaseModel(BaseEstimator):
    _model_type = "bgnbd"
    _names = ("r", "alpha", "a", "b")
    _T_name = "T"

    def __init__(self, penalizer_coef: float = 0.0, *, max_iter: int = 2000, tol: float = 1e-9,
                 time_unit: str = "weeks", threads: int = 0):
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter
        self.tol = tol
        self.time_unit = time_unit
        self.threads = threads

    # -- fitting and the model file ------------------------------------------------------------

    def _summary(self, frequency, recency, T):
        return _summary(frequency, recency, T, discrete=self._model_type == "bgbb",
                        T_name=self._T_name)

    def fit(self, frequency, recency, T, weights=None):
        """Maximum likelihood (L-BFGS on the log-parameters, analytic gradients) as `cie clv fit
        --summary --model-type ...`; weights: customers each row stands for (lifetimes'
        weights). A fit that does not converge is a ValueError (no model)."""
        if self.time_unit not in _TIME_UNITS:
            raise ValueError(f"time_unit: expected 'weeks' or 'days', got {self.time_unit!r}")
        x, t_x, age = self._summary(frequency, recency, T)
        w = _weights(weights, x.shape[0])
        text = _core.clv_fit_purchases(self._model_type, x, t_x, age, w,
                                       float(self.penalizer_coef), int(self.max_iter),
                                       float(self.tol), _TIME_UNITS[self.time_unit],
                                       int(self.threads), checked=True)
        self._set_model(text)
        return self

    def _set_model(self, text: str) -> None:
        document = json.loads(text)
        if document["params"]["model_type"] != self._model_type:
            raise ValueError(f"the model file holds a {document['params']['model_type']} model, "
                             f"not {self._model_type} ({type(self).__name__})")
        self.model_ = text
        _Fitted.set(self, document["fitted"]["transactions"],
                    document["training_metrics"]["transactions"], self._names)

    @property
    def summary(self) -> pd.DataFrame:
        """coef, se(coef) and 95% bounds per parameter (lifetimes' summary)."""
        self._check_fitted()
        return _Fitted.summary(self)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit or load")

    def save(self, path, spend: "GammaGamma | None" = None) -> None:
        """Writes the CLI's model file (`cie clv predict --model` reads it); with a fitted
        GammaGamma `spend`, the file `cie clv fit --spend gamma-gamma` writes."""
        self._check_fitted()
        text = self.model_
        if spend is not None:
            spend._check_fitted()
            text = _core.clv_join(text, spend.spend_)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)

    @classmethod
    def load(cls, path):
        """A model of this type from a CLI model file (its spend part, if any, is left out: see
        GammaGamma.load). Its settings (penalizer_coef, time_unit) are the file's."""
        with open(path, encoding="utf-8") as source:
            text = source.read()
        purchases, _ = _core.clv_split(text)
        params = json.loads(purchases)["params"]
        unit = {days: name for name, days in _TIME_UNITS.items()}[params["time_unit_days"]]
        model = cls(penalizer_coef=params["penalizer"], time_unit=unit)
        model._set_model(purchases)
        return model

    # -- predictions ---------------------------------------------------------------------------

    def _predict(self, frequency, recency, T, horizon, outputs, max_purchases=-1):
        """The engine's predictions named in `outputs` (only those are computed)."""
        self._check_fitted()
        x, t_x, age = _summary(frequency, recency, T, T_name=self._T_name)
        horizon = float(horizon)
        if not (horizon > 0):
            raise ValueError(f"t: expected a time > 0, got {horizon}")
        return _core.clv_predict(self.model_, x, t_x, age, None, horizon, 12, 0.01, 1.0,
                                 int(max_purchases), outputs, int(self.threads), checked=True)

    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive at T) per customer (the CLI's p_alive)."""
        return self._predict(frequency, recency, T, 1.0, ["p_alive"])["p_alive"]

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency,
                                                            T) -> np.ndarray:
        """Expected repeat purchases in (T, T + t] per customer (the CLI's expected_purchases
        with --horizon t)."""
        return self._predict(frequency, recency, T, t,
                             ["expected_purchases"])["expected_purchases"]

    predict = conditional_expected_number_of_purchases_up_to_time

    def conditional_probability_of_n_purchases_up_to_time(self, n, t, frequency, recency,
                                                          T) -> np.ndarray:
        """P(n repeat purchases in (T, T + t]) per customer (the CLI's p_purchases_n); n <= 100."""
        n = int(n)
        if not 0 <= n <= 100:
            raise ValueError(f"n: expected 0..100, got {n}")
        pmf = self._predict(frequency, recency, T, t, [], n)["p_purchases"]
        return np.ascontiguousarray(pmf[:, n])

    def expected_number_of_purchases_up_to_time(self, t):
        """A new customer's expected repeat purchases over its first t time units (a number for
        a number, an array for an array)."""
        self._check_fitted()
        scalar = np.ndim(t) == 0
        out = _core.clv_expected_from_start(self.model_, _column(np.atleast_1d(t), "t"))
        return float(out[0]) if scalar else out


class BetaGeo(_PurchaseModel):
    """BG/NBD (Fader, Hardie & Lee 2005), parameters r, alpha, a, b: lifetimes' BetaGeoFitter,
    `cie clv fit --model-type bgnbd`.

    Parameters: penalizer_coef (lifetimes' L2 penalty, alpha in lifetimes' rescaled time),
    max_iter and tol (L-BFGS; converged when the largest gradient entry of the per-customer
    objective is <= tol, or when the Newton steps that follow are within 0.05 standard errors of
    the maximum), time_unit ("weeks" | "days": the unit of recency, T and t, and of the
    CLV's months: 4.345 weeks or 30 days), threads (0: all cores).
    Fitted: params_ and standard_errors_ (pandas Series; standard errors from the observed
    information), log_likelihood_ (the total over customers, without the penalty), n_iter_,
    converged_, warnings_ (e.g. a parameter at a boundary), n_customers_, n_rows_ (distinct
    (x, t_x, T) rows), model_ (the model file's text), summary.
    """
    _model_type = "bgnbd"


class ModifiedBetaGeo(_PurchaseModel):
    """The modified BG/NBD (Batislam et al. 2007), r, alpha, a, b: lifetimes'
    ModifiedBetaGeoFitter, `cie clv fit --model-type mbgnbd`. As BetaGeo."""
    _model_type = "mbgnbd"


class ParetoNBD(_PurchaseModel):
    """Pareto/NBD (Schmittlein et al. 1987), r, alpha, s, beta: lifetimes' ParetoNBDFitter,
    `cie clv fit --model-type pareto-nbd` (its likelihood in log space, finite where lifetimes'
    is not). As BetaGeo."""
    _model_type = "pareto-nbd"
    _names = ("r", "alpha", "s", "beta")


class BetaGeoBetaBinom(_PurchaseModel):
    """BG/BB (Fader, Hardie & Shang 2010) for discrete opportunities, alpha, beta, gamma, delta:
    lifetimes' BetaGeoBetaBinomFitter, `cie clv fit --model-type bgbb`. frequency, recency and
    n_periods count opportunities (whole numbers; frequency <= recency <= n_periods); t in the
    predictions is a number of future opportunities. As BetaGeo otherwise (time_unit is only
    written to the model file)."""
    _model_type = "bgbb"
    _names = ("alpha", "beta", "gamma", "delta")
    _T_name = "n_periods"

    def fit(self, frequency, recency, n_periods, weights=None):
        return super().fit(frequency, recency, n_periods, weights)

    def expected_number_of_purchases_up_to_time(self, t):
        raise ValueError("expected_number_of_purchases_up_to_time is not defined for BG/BB")


class GammaGamma(BaseEstimator):
    """Gamma-Gamma spend (Fader & Hardie 2013), parameters p, q, gamma (lifetimes' p, q, v):
    lifetimes' GammaGammaFitter, `cie clv fit --spend gamma-gamma`.

    fit(frequency, monetary_value, weights=None) uses the customers with frequency > 0 and
    monetary_value > 0; those with monetary_value <= 0 are left out and counted
    (excluded_nonpositive_), those with frequency 0 counted (no_repeat_);
    frequency_value_correlation_ is the check of the model's independence assumption. Fitted
    attributes as BetaGeo's; spend_ is the JSON of the model file's spend sections. save() needs
    the purchase model the file is for (a CLI model file always has one).
    """

    def __init__(self, penalizer_coef: float = 0.0, *, max_iter: int = 2000, tol: float = 1e-9,
                 threads: int = 0):
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter
        self.tol = tol
        self.threads = threads

    def fit(self, frequency, monetary_value, weights=None):
        x = _column(frequency, "frequency")
        n = x.shape[0]
        _check_finite(x, "frequency", n)
        if (x < 0).any() or (x != np.floor(x)).any():
            raise ValueError(f"frequency: row {_first((x < 0) | (x != np.floor(x)))} is not a "
                             f"whole number >= 0")
        m = _monetary(monetary_value, n)
        w = _weights(weights, n)
        self._set_spend(_core.clv_fit_spend(x, m, w, float(self.penalizer_coef),
                                            int(self.max_iter), float(self.tol),
                                            int(self.threads)))
        return self

    def _set_spend(self, spend: str) -> None:
        sections = json.loads(spend)
        self.spend_ = spend
        metrics = sections["training_metrics"]
        _Fitted.set(self, sections["fitted"], metrics, ("p", "q", "gamma"))
        self.excluded_nonpositive_ = float(metrics.get("excluded_nonpositive", 0.0))
        self.no_repeat_ = float(metrics.get("no_repeat", 0.0))
        self.frequency_value_correlation_ = float(metrics.get("frequency_value_correlation", 0.0))

    def _check_fitted(self) -> None:
        if not hasattr(self, "spend_"):
            raise ValueError("this GammaGamma is not fitted yet: call fit or load")

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return _Fitted.summary(self)

    def conditional_expected_average_profit(self, frequency, monetary_value) -> np.ndarray:
        """E[mean spend | x, m] = p(gamma + x m)/(p x + q - 1) per customer; a customer with x = 0
        or m <= 0 gets the population mean p gamma/(q - 1) (the CLI's expected_value)."""
        self._check_fitted()
        x = _column(frequency, "frequency")
        _check_finite(x, "frequency", x.shape[0])
        m = _monetary(monetary_value, x.shape[0])
        return _core.clv_expected_spend(self.spend_, x, m)

    def customer_lifetime_value(self, transaction_prediction_model, frequency, recency, T,
                                monetary_value, time: int = 12, discount_rate: float = 0.01,
                                margin: float = 1.0) -> np.ndarray:
        """lifetimes' customer_lifetime_value times margin (the CLI's clv): the sum over `time`
        months of margin · E[spend] · (E[X(i u)] − E[X((i−1) u)]) / (1 + discount_rate)^i, u a
        month in the purchase model's time unit (4.345 weeks or 30 days)."""
        self._check_fitted()
        model = transaction_prediction_model
        if not isinstance(model, _PurchaseModel) or isinstance(model, BetaGeoBetaBinom):
            raise TypeError("transaction_prediction_model: expected a fitted BetaGeo, "
                            "ModifiedBetaGeo or ParetoNBD")
        model._check_fitted()
        x, t_x, age = _summary(frequency, recency, T)
        m = _monetary(monetary_value, x.shape[0])
        text = _core.clv_join(model.model_, self.spend_)
        return _core.clv_predict(text, x, t_x, age, m, 1.0, int(time), float(discount_rate),
                                 float(margin), -1, ["clv"], int(self.threads),
                                 checked=True)["clv"]

    def save(self, path, purchases: _PurchaseModel) -> None:
        """Writes `purchases`' model file with this spend fit joined in (what `cie clv fit
        --spend gamma-gamma` writes)."""
        purchases.save(path, spend=self)

    @classmethod
    def load(cls, path):
        """The Gamma-Gamma part of a CLI model file (a ValueError when it has none)."""
        with open(path, encoding="utf-8") as source:
            _, spend = _core.clv_split(source.read())
        if spend is None:
            raise ValueError(f"model file {path} has no spend model (fit with --spend "
                             f"gamma-gamma)")
        params = json.loads(open(path, encoding="utf-8").read())["params"]
        model = cls(penalizer_coef=params["penalizer"])
        model._set_spend(spend)
        return model
