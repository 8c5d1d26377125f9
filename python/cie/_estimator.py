"""What cie's scikit-learn estimators share: input checks and conversion, the device and thread
settings, and the fitted model kept as the text of its model file (the same JSON documents the
`cie` command reads and writes), which is also what pickling stores."""
from __future__ import annotations

import functools
import json

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data


def as_checkable(X):
    """polars and pyarrow tables (and objects exporting the Arrow C data or stream interface) as
    pandas DataFrames (a copy, with their column names); anything else unchanged."""
    module = type(X).__module__.split(".")[0]
    if module == "polars":
        return X.to_pandas()
    if module == "pyarrow":
        import pyarrow as pa
        if isinstance(X, pa.ChunkedArray) or isinstance(X, pa.Array):
            return X.to_pandas().to_frame()
        return pa.table(X).to_pandas()
    if not isinstance(X, np.ndarray) and module != "pandas":
        if hasattr(X, "__arrow_c_stream__"):
            import pyarrow as pa
            return pa.table(X).to_pandas()
        if hasattr(X, "__arrow_c_array__"):
            import pyarrow as pa
            return pa.record_batch(X).to_pandas()
    return X


def _as_arrow_table(X):
    """X as a pyarrow Table when it is Arrow data: a pyarrow Table or RecordBatch, a polars
    DataFrame, a pandas DataFrame whose columns all have Arrow dtypes, or any other object
    exporting __arrow_c_stream__ / __arrow_c_array__ (read through the C interface: pyarrow
    takes the buffers, no copy). None for anything else (numpy, ordinary pandas)."""
    if isinstance(X, np.ndarray):
        return None
    module = type(X).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd
        if not hasattr(X, "columns") or len(X.columns) == 0 or not all(
                isinstance(t, pd.ArrowDtype) for t in X.dtypes):
            return None
        if not X.columns.map(lambda c: isinstance(c, str)).all():
            return None
    import pyarrow as pa
    if isinstance(X, pa.Table):
        return X
    if isinstance(X, pa.RecordBatch):
        return pa.Table.from_batches([X])
    if module == "polars" and hasattr(X, "to_arrow"):
        return X.to_arrow()
    if module == "pandas":
        return pa.Table.from_pandas(X, preserve_index=False)
    if hasattr(X, "__arrow_c_stream__"):
        return pa.table(X)
    if hasattr(X, "__arrow_c_array__"):
        return pa.Table.from_batches([pa.record_batch(X)])
    return None


def arrow_columns(X):
    """The columns of Arrow data X (see _as_arrow_table) as (names, numpy views of the Arrow
    buffers), when every column is float64 or float32 in one chunk without nulls: the engine
    then reads the columns in place, without a copy (k-means; float32 as the doubles it
    equals). None when X is not Arrow data or a column does not qualify (ints, nulls, several
    chunks, dictionaries...): the caller takes the general path (a copy through pandas)."""
    table = _as_arrow_table(X)
    if table is None or table.num_columns == 0:
        return None
    import pyarrow as pa
    columns = []
    for column in table.columns:
        if column.num_chunks != 1 or column.null_count != 0 or column.type not in (
                pa.float64(), pa.float32()):
            return None
        columns.append(column.chunk(0).to_numpy(zero_copy_only=True))
    return [str(name) for name in table.column_names], columns


def check_sample_weight(sample_weight, rows: int) -> np.ndarray:
    """Sample weights as the engine takes them (float32, one per row, finite, >= 0, not all
    zero); a ValueError otherwise."""
    given = np.asarray(sample_weight, dtype=np.float64)
    if given.ndim > 1 or (given.ndim == 1 and given.shape[0] != rows):
        raise ValueError(f"sample_weight: expected {rows} weights, one per row of X, got "
                         f"shape {given.shape}")
    weights = np.ascontiguousarray(np.broadcast_to(given, (rows,)), dtype=np.float32)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight: weights must be finite and >= 0")
    if not (weights > 0).any():
        raise ValueError("sample_weight: all weights are zero; at least one row needs a "
                         "positive weight")
    return weights


def _check_numeric_columns(frame) -> None:
    import pandas as pd
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            continue
        try:
            pd.to_numeric(column, errors="raise")
        except (TypeError, ValueError):
            raise TypeError(f"column '{name}': expected numbers, got {column.dtype} values "
                            f"that are not") from None


def _check_finite(X: np.ndarray, names: list, allow_nan: bool, estimator: str) -> None:
    # Fast path, one read of X and no allocation: a finite sum means every value is finite (a
    # NaN or ±inf makes the sum NaN or ±inf). An infinite sum of finite values (overflow) or any
    # NaN takes the exact search below.
    with np.errstate(over="ignore", invalid="ignore"):
        if X.size and np.isfinite(np.add.reduce(X, axis=None)):
            return
    bad = np.isinf(X) if allow_nan else ~np.isfinite(X)
    if not bad.any():
        return
    column = int(np.argmax(bad.any(axis=0)))
    row = int(np.argmax(bad[:, column]))
    value = X[row, column]
    what = "NaN" if np.isnan(value) else "inf"
    reason = ("infinity is not a number cie can use" if what == "inf" else
              f"{estimator} cannot use missing values")
    raise ValueError(f"column '{names[column]}' has {what} at row {row}: {reason}")


def fitting(method):
    """Decorates an estimator's fit: when it raises (a KeyboardInterrupt from Ctrl-C during the
    engine's computation included), every fitted attribute is removed, so the estimator is left
    unfitted rather than half fitted or holding the model of an earlier fit."""
    @functools.wraps(method)
    def fit(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self._forget_fit()
            raise
    return fit


class EngineEstimator(BaseEstimator):
    """Base of cie's estimators. Subclasses set `_kind` (the model file's kind)."""

    _kind = ""

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_file_")

    def _forget_fit(self) -> None:
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("__")]:
            delattr(self, name)

    def _check_X(self, X, reset: bool, allow_nan: bool):
        """X as a 2-D float32/float64 array (float32 and float64 are kept, in whatever memory
        order they come; other dtypes become float64), with n_features_in_ and
        feature_names_in_ set (reset) or checked. A column that is not numeric is a TypeError,
        NaN (unless allowed: a missing value) or ±inf a ValueError, each naming the column."""
        X = as_checkable(X)
        if type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "columns"):
            _check_numeric_columns(X)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                          ensure_all_finite=False, accept_sparse=False, order=None)
        names = (self._feature_names() if getattr(self, "n_features_in_", None) == X.shape[1]
                 else [f"x{j}" for j in range(X.shape[1])])
        _check_finite(X, names, allow_nan, type(self).__name__)
        return X

    def _check_columns(self, X, reset: bool):
        """Arrow data X as a list of 1-D columns read without a copy (arrow_columns), with
        n_features_in_ and feature_names_in_ set (reset) or checked, no NaN or ±inf (a
        ValueError naming the column and the row); None when X does not qualify."""
        found = arrow_columns(X)
        if found is None:
            return None
        names, columns = found
        if reset:
            self._set_feature_names(names)
        else:
            if len(names) != self.n_features_in_:
                raise ValueError(f"X has {len(names)} features, but {type(self).__name__} is "
                                 f"expecting {self.n_features_in_} features as input.")
            if names != self._feature_names():
                raise ValueError(f"X: the feature names {names} differ from those seen in "
                                 f"fit: {self._feature_names()}")
        if columns[0].shape[0] == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        for name, column in zip(names, columns):
            _check_finite(column[:, None], [name], False, type(self).__name__)
        return columns

    def _feature_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _check_device(self):
        if not isinstance(self.device, str) or not (
                self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', "
                             f"got {self.device!r}")

    # Model files -----------------------------------------------------------------------------
    def save(self, path) -> None:
        """Writes the fitted model as the model file the `cie` command reads."""
        check_is_fitted(self, "model_file_")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.model_file_)

    @classmethod
    def load(cls, path, **params):
        """The estimator of a model file written by `cie` or by save(); `params` (device,
        threads) override the file's."""
        with open(path, encoding="utf-8") as f:
            return cls.from_model_file(f.read(), **params)

    @classmethod
    def from_model_file(cls, text: str, **params):
        try:
            document = json.loads(text)
        except ValueError:
            raise ValueError("model file: not a cie model file (not JSON)") from None
        if document.get("kind") != cls._kind:
            raise ValueError(f"model file: expected a model of kind '{cls._kind}', got "
                             f"'{document.get('kind')}'")
        estimator = cls(**{**cls._params_from_document(document), **params})
        estimator._set_fitted(text)
        return estimator

    @staticmethod
    def _names_are_positional(names: list[str]) -> bool:
        return names == [f"x{j}" for j in range(len(names))]

    def _set_feature_names(self, names: list[str]) -> None:
        self.n_features_in_ = len(names)
        if self._names_are_positional(names):
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            self.feature_names_in_ = np.asarray(names, dtype=object)
