"""What cie's binary classifiers share (cie.LogisticRegression, cie.GradientBoostingClassifier):
labels, the propensity model file (kind "propensity": encoder + learner), scoring through
PropensityModel::predict, pickling through the model file."""
from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from cie import _core
from cie._estimator import (EngineEstimator, _as_arrow_table, _check_finite,
                            _check_numeric_columns, as_checkable, check_sample_weight, fitting)


def _positive_label(classes) -> str:
    """The model file's `positive`: "" for 0/1 labels (as the CLI's default), else the label of
    the positive class (classes[1]) as text, as the CLI's --positive."""
    if classes.dtype.kind in "biuf" and list(classes) == [0, 1]:
        return ""
    return str(classes[1])


def _arrow_numeric(column):
    """A numeric Arrow column (float32/float64: read in place when it comes in one chunk without
    nulls, the engine reading its buffer; with nulls or several chunks, copied once with NaN
    where null; other floats and integers: copied once into float64, NaN where null) as a 1-D
    numpy array."""
    import pyarrow as pa
    import pyarrow.compute as pc
    kept = column.type in (pa.float64(), pa.float32())
    if not kept:
        column = pc.cast(column, pa.float64(), safe=False)
    if column.null_count:
        column = pc.fill_null(column, pa.scalar(float("nan"), type=column.type))
    chunk = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return chunk.to_numpy(zero_copy_only=True)


def _arrow_input(X):
    """(table, categorical names) when X is Arrow data (pyarrow, polars, pandas with Arrow dtypes,
    any Arrow C interface exporter) whose every column is a dictionary (categorical), a float or
    an integer column; None for anything else (the caller's general path through pandas)."""
    if type(X).__module__.split(".")[0] == "pyarrow" and not hasattr(X, "column_names"):
        return None  # an Array or ChunkedArray: a one-column frame, through pandas
    table = _as_arrow_table(X)
    if table is None or table.num_columns == 0:
        return None
    import pyarrow as pa
    categorical = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(column.type):
            categorical.append(str(name))
        elif not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            return None
    return table, categorical


def rows_of(X) -> int:
    """The rows of _split_X's numeric part: a matrix, or a list of columns."""
    return X[0].shape[0] if isinstance(X, list) else X.shape[0]


def transform_specs(transforms, names: list[str]) -> list[str]:
    if transforms is None:
        return ["none"] * len(names)
    if not isinstance(transforms, dict):
        raise TypeError("transforms: expected None or a dict column -> spec")
    unknown = sorted(set(transforms) - set(names))
    if unknown:
        raise ValueError(f"transforms: {unknown[0]} is not one of the features")
    return [str(transforms.get(n, "none")) for n in names]


class CategoricalInput:
    """X as the propensity and uplift models' encoder takes it: numeric columns and categorical
    ones (for estimators that set _takes_categorical). Mixed into EngineEstimator subclasses;
    _allow_nan says whether NaN is a missing value."""

    _takes_categorical = False  # whether categorical columns are taken

    def _split_X(self, X, reset: bool):
        """(numeric matrix or list of numeric columns, categorical columns, every feature name in
        X's order). Categorical columns (pandas Categorical; Arrow dictionary and polars
        Categorical/Enum columns, read through pandas) go to the engine as (name, int32 codes,
        levels as text), the numeric ones as a matrix, or for Arrow data (_split_arrow) as a
        list of 1-D columns, read in place where their layout allows. A categorical column where
        the estimator takes none, or where the fitted model has a numeric one (or the other way
        round), is a TypeError naming it."""
        import pandas as pd
        arrow = _arrow_input(X)
        if arrow is not None:
            return self._split_arrow(*arrow, reset=reset)
        X = as_checkable(X)
        fitted_categorical = [] if reset else list(getattr(self, "categorical_features_", []))
        categorical = []
        if isinstance(X, pd.DataFrame):
            categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        if categorical and not self._takes_categorical:
            raise TypeError(f"column '{categorical[0]}': categorical, but "
                            f"{type(self).__name__} takes numeric columns only "
                            f"(GradientBoostingClassifier splits categories natively)")
        if not categorical:
            if fitted_categorical:
                raise TypeError(f"column '{fitted_categorical[0]}': the model was fitted on it "
                                f"as categorical; expected a pandas Categorical or Arrow "
                                f"dictionary column")
            X = self._check_X(X, reset=reset, allow_nan=self._allow_nan())
            return X, [], self._feature_names()
        order = [str(c) for c in X.columns]
        if not reset:
            if order != self._feature_names():
                raise ValueError(f"X: the feature names {order} differ from those seen in "
                                 f"fit: {self._feature_names()}")
            for name in order:
                if (name in fitted_categorical) != (name in categorical):
                    was = "categorical" if name in fitted_categorical else "numeric"
                    raise TypeError(f"column '{name}': the model was fitted on it as {was}")
        numeric = X.drop(columns=categorical)
        _check_numeric_columns(numeric)
        matrix = np.asfortranarray(numeric.apply(pd.to_numeric).to_numpy(dtype=np.float64))
        names = [str(c) for c in numeric.columns]
        if len(X) == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        _check_finite(matrix, names, self._allow_nan(), type(self).__name__)
        columns = [(str(c), np.ascontiguousarray(X[c].cat.codes.to_numpy(), dtype=np.int32),
                    [str(level) for level in X[c].cat.categories]) for c in categorical]
        if reset:
            self._set_feature_names(order)
        return matrix, columns, order

    def _split_arrow(self, table, categorical: list[str], reset: bool):
        """_split_X for Arrow data (_arrow_input): the numeric columns as a list of 1-D arrays,
        float32/float64 ones in one chunk without nulls read in place (_arrow_numeric), the
        categorical ones through pandas as _split_X takes them; the same checks and messages."""
        import warnings
        order = [str(c) for c in table.column_names]
        if categorical and not self._takes_categorical:
            raise TypeError(f"column '{categorical[0]}': categorical, but "
                            f"{type(self).__name__} takes numeric columns only "
                            f"(GradientBoostingClassifier splits categories natively)")
        if not reset:
            if len(order) != self.n_features_in_:
                raise ValueError(f"X has {len(order)} features, but {type(self).__name__} is "
                                 f"expecting {self.n_features_in_} features as input.")
            if hasattr(self, "feature_names_in_") or categorical:
                if order != self._feature_names():
                    raise ValueError(f"X: the feature names {order} differ from those seen in "
                                     f"fit: {self._feature_names()}")
            elif not self._names_are_positional(order):
                warnings.warn(f"X has feature names, but {type(self).__name__} was fitted "
                              f"without feature names", UserWarning)
            fitted_categorical = list(getattr(self, "categorical_features_", []))
            for name in order:
                if (name in fitted_categorical) != (name in categorical):
                    was = "categorical" if name in fitted_categorical else "numeric"
                    raise TypeError(f"column '{name}': the model was fitted on it as {was}")
        if table.num_rows == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        names = [n for n in order if n not in categorical]
        columns = [_arrow_numeric(table.column(n)) for n in names]
        for name, column in zip(names, columns):
            _check_finite(column[:, None], [name], self._allow_nan(), type(self).__name__)
        if not columns:
            columns = np.empty((table.num_rows, 0), dtype=np.float64, order="F")
        codes = []
        if categorical:
            frame = table.select(categorical).to_pandas()
            codes = [(c, np.ascontiguousarray(frame[c].cat.codes.to_numpy(), dtype=np.int32),
                      [str(level) for level in frame[c].cat.categories]) for c in categorical]
        if reset:
            self._set_feature_names(order)
        return columns, codes, order

    def _allow_nan(self) -> bool:
        return self.missing != "error"


class PropensityClassifier(CategoricalInput, ClassifierMixin, EngineEstimator):
    """Base of the binary classifiers: subclasses define _learner ("logistic" | "gbdt"),
    _missing_policies, _engine_fit(X, names, labels, weights, target, positive) -> model text,
    _set_learner(model dict) and _params_from_document."""

    _kind = "propensity"
    _learner = ""
    _missing_policies = ("mean_impute", "error")

    @fitting
    def fit(self, X, y, sample_weight=None):
        self._check_device()
        if self.missing not in self._missing_policies:
            raise ValueError(f"missing: expected one of {', '.join(self._missing_policies)}, "
                             f"got {self.missing!r}")
        target = str(y.name) if getattr(y, "name", None) is not None else "y"
        X, categorical, order = self._split_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        if len(y) != rows_of(X):
            raise ValueError(f"y has {len(y)} labels but X has {rows_of(X)} rows")
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
            weights = check_sample_weight(sample_weight, rows_of(X))
        numeric = [n for n in order if n not in {c[0] for c in categorical}]
        if categorical:
            text = self._engine_fit(X, numeric, labels, weights, target,
                                    _positive_label(classes), classes, categorical=categorical,
                                    order=order)
        else:
            text = self._engine_fit(X, numeric, labels, weights, target,
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
        self.categorical_features_ = list(model["categorical"])
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
        X, categorical, order = self._split_X(X, reset=False)
        numeric = [n for n in order if n not in {c[0] for c in categorical}]
        p = np.asarray(_core.propensity_predict(self.model_file_, X, numeric, categorical,
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
