"""What cie's binary classifiers share (cie.LogisticRegression, cie.GradientBoostingClassifier):
labels, the propensity model file (kind "propensity": encoder + learner), scoring through
PropensityModel::predict, pickling through the model file."""
from __future__ import annotations

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


def transform_specs(transforms, names: list[str]) -> list[str]:
    if transforms is None:
        return ["none"] * len(names)
    if not isinstance(transforms, dict):
        raise TypeError("transforms: expected None or a dict column -> spec")
    unknown = sorted(set(transforms) - set(names))
    if unknown:
        raise ValueError(f"transforms: {unknown[0]} is not one of the features")
    return [str(transforms.get(n, "none")) for n in names]


class PropensityClassifier(ClassifierMixin, EngineEstimator):
    """Base of the binary classifiers: subclasses define _learner ("logistic" | "gbdt"),
    _missing_policies, _engine_fit(X, names, labels, weights, target, positive) -> model text,
    _set_learner(model dict) and _params_from_document."""

    _kind = "propensity"
    _learner = ""
    _missing_policies = ("mean_impute", "error")

    def _allow_nan(self) -> bool:
        return self.missing != "error"

    def fit(self, X, y, sample_weight=None):
        self._check_device()
        if self.missing not in self._missing_policies:
            raise ValueError(f"missing: expected one of {', '.join(self._missing_policies)}, "
                             f"got {self.missing!r}")
        target = str(y.name) if getattr(y, "name", None) is not None else "y"
        X = self._check_X(X, reset=True, allow_nan=self._allow_nan())
        y = column_or_1d(y, warn=True)
        if len(y) != X.shape[0]:
            raise ValueError(f"y has {len(y)} labels but X has {X.shape[0]} rows")
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target "
                             f"is {target_type}: cie's classifiers need y with exactly 2 "
                             f"classes.")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("y holds one class only: cie's classifiers need 2 classes")
        labels = (y == classes[1]).astype(np.float32)
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, X.shape[0])
        text = self._engine_fit(X, self._feature_names(), labels, weights, target,
                                _positive_label(classes), classes)
        self._set_fitted(text)
        self.classes_ = classes
        return self

    def _set_fitted(self, text: str) -> None:
        model = _core.propensity_model(text)
        if model["learner"] != self._learner:
            raise ValueError(f"model file: a propensity model with the {model['learner']} "
                             f"learner, not {self._learner}")
        self.model_file_ = text
        self._set_feature_names(list(model["inputs"]))
        self.feature_names_out_ = np.asarray(model["features"], dtype=object)
        self._set_learner(model)
        if not hasattr(self, "classes_"):
            # A model file names only the positive class ("" for 0/1 labels).
            positive = model["positive"]
            self.classes_ = (np.asarray([0, 1]) if positive == "" else
                             np.asarray(["<other>", positive], dtype=object))

    @staticmethod
    def _common_params(document: dict) -> dict:
        columns = document.get("features", {}).get("columns", [])
        transforms = {c["name"]: c["transform"] for c in columns
                      if c.get("transform", "none") != "none"}
        missing = {c.get("missing") for c in columns if c.get("type", "numeric") == "numeric"}
        out = {"transforms": transforms or None}
        if len(missing) == 1:
            out["missing"] = {"mean": "mean_impute"}.get(*missing, *missing)
        return out

    def predict_proba(self, X):
        """[P(classes_[0]), P(classes_[1])] per row (PropensityModel::predict, as
        `cie propensity score`)."""
        check_is_fitted(self, "model_file_")
        X = self._check_X(X, reset=False, allow_nan=self._allow_nan())
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
        # Pickled through the model file: parameters, the model file's text, the classes.
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
        tags.input_tags.allow_nan = self._allow_nan()
        tags.classifier_tags.multi_class = False
        return tags
