"""cie.LogisticRegression: a response-propensity model with scikit-learn's classifier API."""
from __future__ import annotations

import json

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from cie import _core
from cie._estimator import EngineEstimator, check_sample_weight


def _positive_label(classes) -> str:
    """The model file's `positive`: "" for 0/1 labels (as the CLI's default), else the label of
    the positive class (classes[1]) as text, as the CLI's --positive."""
    if classes.dtype.kind in "biuf" and list(classes) == [0, 1]:
        return ""
    return str(classes[1])


class LogisticRegression(ClassifierMixin, EngineEstimator):
    """Binary logistic regression as `cie propensity train --model-type logistic --validation 0`
    trains it (models/propensity: the tabular encoder, z-scoring each column, then the
    regression), with the scikit-learn API (fit / predict / predict_proba / decision_function /
    score, get_params / set_params; usable in Pipeline, GridSearchCV and clone).

    Parameters are the CLI's: penalty ("l2" | "l1" | "elasticnet" | "none"), C (scikit-learn's),
    l1_ratio, fit_intercept, class_weight (None, "balanced" or {class: weight} for both
    classes), solver ("auto" | "lbfgs" | "owlqn" | "newton"), max_iter, tol, transforms (None or
    a dict column -> spec such as "log1p"), missing ("mean_impute": NaN is a missing value,
    imputed with the training mean plus an indicator feature NAME__missing, as the CLI;
    "error": NaN is a ValueError naming the column), device, threads.

    X: as cie.KMeans (float32/float64 numpy, C or F order, pandas, polars, pyarrow or an Arrow
    C data/stream object); the encoder reads it as a table of float64 columns (a copy).
    y: two classes (any labels; classes_ sorted, the second is the positive class, written to
    the model file as the CLI's --positive; a model file loaded with load() knows only that
    label: its classes_ are [0, 1] for 0/1 labels, else ["<other>", positive]).
    The coefficients (coef_, intercept_) are over the encoded features (feature_names_out_),
    that is, after z-scoring: they are not comparable to a model fitted on raw X.
    """

    _kind = "propensity"

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

    def _transform_specs(self, names: list[str]) -> list[str]:
        if self.transforms is None:
            return ["none"] * len(names)
        if not isinstance(self.transforms, dict):
            raise TypeError("transforms: expected None or a dict column -> spec")
        unknown = sorted(set(self.transforms) - set(names))
        if unknown:
            raise ValueError(f"transforms: {unknown[0]} is not one of the features")
        return [str(self.transforms.get(n, "none")) for n in names]

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

    def fit(self, X, y, sample_weight=None):
        self._check_device()
        if self.missing not in ("mean_impute", "error"):
            raise ValueError(f"missing: expected 'mean_impute' or 'error', got {self.missing!r}")
        target = str(y.name) if getattr(y, "name", None) is not None else "y"
        X = self._check_X(X, reset=True, allow_nan=self.missing == "mean_impute")
        y = column_or_1d(y, warn=True)
        if len(y) != X.shape[0]:
            raise ValueError(f"y has {len(y)} labels but X has {X.shape[0]} rows")
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target "
                             f"is {target_type}: cie.LogisticRegression needs y with exactly 2 "
                             f"classes.")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("y holds one class only: cie.LogisticRegression needs 2 classes")
        labels = (y == classes[1]).astype(np.float32)
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, X.shape[0])
        names = self._feature_names()
        kind, negative, positive = self._class_weight(classes)
        result = _core.logistic_fit(
            X, names, labels, weights, self._transform_specs(names), self.missing,
            str(self.penalty), float(self.C), float(self.l1_ratio), bool(self.fit_intercept),
            kind, negative, positive, str(self.solver), int(self.max_iter), float(self.tol), target,
            _positive_label(classes), self.device, int(self.threads))
        self._set_fitted(result["model"])
        self.classes_ = classes
        return self

    def _set_fitted(self, text: str) -> None:
        model = _core.propensity_model(text)
        if model["learner"] != "logistic":
            raise ValueError("model file: a propensity model with gradient-boosted trees, not a "
                             "logistic regression")
        self.model_file_ = text
        self._set_feature_names(list(model["inputs"]))
        self.feature_names_out_ = np.asarray(model["features"], dtype=object)
        self.coef_ = np.asarray(model["coef"], dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.asarray([model["intercept"]], dtype=np.float64)
        self.n_iter_ = np.asarray([model["iterations"]], dtype=np.int32)
        if not hasattr(self, "classes_"):
            # A model file names only the positive class ("" for 0/1 labels).
            positive = model["positive"]
            self.classes_ = (np.asarray([0, 1]) if positive == "" else
                             np.asarray(["<other>", positive], dtype=object))

    @staticmethod
    def _params_from_document(document: dict) -> dict:
        params = document.get("params", {})
        logistic = params.get("logistic", params)
        columns = document.get("features", {}).get("columns", [])
        transforms = {c["name"]: c["transform"] for c in columns
                      if c.get("transform", "none") != "none"}
        missing = {c.get("missing") for c in columns if c.get("type", "numeric") == "numeric"}
        out = {"transforms": transforms or None,
               "missing": "error" if missing == {"error"} else "mean_impute"}
        for key in ("penalty", "C", "l1_ratio", "fit_intercept", "solver", "max_iter", "tol"):
            if key in logistic:
                out[key] = logistic[key]
        return out

    def predict_proba(self, X):
        """[P(classes_[0]), P(classes_[1])] per row (PropensityModel::predict, as
        `cie propensity score`)."""
        check_is_fitted(self, "model_file_")
        X = self._check_X(X, reset=False, allow_nan=self.missing == "mean_impute")
        p = np.asarray(_core.propensity_predict(self.model_file_, X, self._feature_names(),
                                                self.device, int(self.threads)))
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X):
        p = self.predict_proba(X)[:, 1]
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p)

    def predict(self, X):
        check_is_fitted(self, "model_file_")
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    def __getstate__(self):
        state = {"params": self.get_params(deep=False)}
        if hasattr(self, "model_file_"):
            state.update(model_file=self.model_file_, classes=self.classes_)
        return state

    def __setstate__(self, state):
        self.__init__(**state["params"])
        if "model_file" in state:
            self.classes_ = state["classes"]
            self._set_fitted(state["model_file"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "mean_impute"
        tags.classifier_tags.multi_class = False
        return tags
