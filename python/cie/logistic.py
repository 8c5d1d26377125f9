"""cie.LogisticRegression: a response-propensity model with scikit-learn's classifier API."""
from __future__ import annotations

import numpy as np

from cie import _core
from cie._classifier import PropensityClassifier, transform_specs


class LogisticRegression(PropensityClassifier):
    """Binary logistic regression as `cie propensity train --model-type logistic --validation 0`
    trains it (models/propensity: the tabular encoder, z-scoring each column, then the
    regression), with the scikit-learn API (fit / predict / predict_proba / decision_function /
    score, get_params / set_params; usable in Pipeline, GridSearchCV and clone).

    Parameters are the CLI's: penalty ("l2" | "l1" | "elasticnet" | "none"), C (scikit-learn's),
    l1_ratio, fit_intercept, class_weight (None, "balanced" or {class: weight} for both
    classes), solver ("auto" | "lbfgs" | "owlqn" | "newton"), max_iter, tol, transforms (None or
    a dict column -> spec such as "log1p"), missing ("mean_impute": NaN is a missing value,
    imputed with the training mean plus, for a column with NaN in training, an indicator
    feature NAME__missing, as the CLI;
    "error": NaN is a ValueError naming the column), device, threads.

    X: as cie.KMeans (float32/float64 numpy, C or F order, pandas, polars, pyarrow or an Arrow
    C data/stream object). The encoder reads the numeric columns of a float64 or float32 array
    in F order in place (no copy; NaN is a missing value; float32 values are read as the doubles
    they equal, so the model is the float64 input's), and so a pandas frame whose values come
    out as such an array (numeric columns of one dtype in one block, as a frame built column by
    column; a frame wrapping a C-ordered array gives a C-ordered one), and Arrow data (pyarrow,
    polars, pandas with Arrow dtypes, any Arrow C data/stream exporter): each float64 or
    float32 column in one chunk without nulls is read in place from its Arrow buffer. Copied
    once, into float64 columns: a C-ordered (or otherwise strided) array; an Arrow column with
    nulls (NaN where null: missing values) or several chunks, or of integers; Arrow data with
    columns of other types, and pandas frames with categorical columns, go through pandas
    first (a copy, then read in place).
    y: two classes (any labels; classes_ sorted, the second is the positive class, written to
    the model file as the CLI's --positive; a model file loaded with load() knows only that
    label: its classes_ are [0, 1] for 0/1 labels, else ["<other>", positive]).
    The coefficients (coef_, intercept_) are over the encoded features (feature_names_out_),
    that is, after z-scoring: they are not comparable to a model fitted on raw X.
    """

    _learner = "logistic"

    def __init__(self, penalty: str = "l2", *, C: float = 1.0, l1_ratio: float = 0.5,
                 fit_intercept: bool = True, class_weight=None, solver: str = "auto",
                 max_iter: int = 1000, tol: float = 1e-8, transforms=None,
                 missing: str = "mean_impute", device: str = "auto", threads: int = 0):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.transforms = transforms
        self.missing = missing
        self.device = device
        self.threads = threads

    def _class_weight(self, classes):
        if self.class_weight is None:
            return "none", 1.0, 1.0
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"class_weight: expected None, 'balanced' or a dict, got "
                                 f"{self.class_weight!r}")
            return "balanced", 1.0, 1.0
        if isinstance(self.class_weight, dict):
            return ("given", float(self.class_weight.get(classes[0], 1.0)),
                    float(self.class_weight.get(classes[1], 1.0)))
        raise TypeError("class_weight: expected None, 'balanced' or a dict")

    def _engine_fit(self, X, names, labels, weights, target, positive, classes) -> str:
        kind, negative, positive_weight = self._class_weight(classes)
        return _core.logistic_fit(
            X, names, labels, weights, transform_specs(self.transforms, names), self.missing,
            str(self.penalty), float(self.C), float(self.l1_ratio), bool(self.fit_intercept),
            kind, negative, positive_weight, str(self.solver), int(self.max_iter),
            float(self.tol), target, positive, self.device, int(self.threads))["model"]

    def _set_learner(self, model: dict) -> None:
        self.coef_ = np.asarray(model["coef"], dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.asarray([model["intercept"]], dtype=np.float64)
        self.n_iter_ = np.asarray([model["iterations"]], dtype=np.int32)

    @classmethod
    def _params_from_document(cls, document: dict) -> dict:
        out = cls._common_params(document)
        logistic = document.get("params", {}).get("logistic", {})
        for key in ("penalty", "C", "l1_ratio", "fit_intercept", "solver", "max_iter", "tol"):
            if key in logistic:
                out[key] = logistic[key]
        return out
