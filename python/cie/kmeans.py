"""cie.KMeans: k-means segments with scikit-learn's estimator API, on cie's engine."""
from __future__ import annotations

import json
from typing import Optional

import numpy as np
from sklearn.base import ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from cie import _core
from cie._estimator import EngineEstimator, check_sample_weight, fitting


def _rows(X) -> int:
    return X[0].shape[0] if isinstance(X, list) else X.shape[0]


class KMeans(ClusterMixin, TransformerMixin, EngineEstimator):
    """k-means as `cie segment fit` runs it (models/segments: train_segments), with the
    scikit-learn API (fit / predict / transform / score, get_params / set_params; usable in
    Pipeline, GridSearchCV and clone).

    Parameters are the CLI's: n_clusters (--k), init ("k-means++" | "k-means||" | "random"),
    n_init, max_iter, tol (scikit-learn's definition), refine ("hartigan": single-row moves
    after Lloyd while they lower the inertia, the CLI's default; "none": Lloyd only, as
    scikit-learn), random_state (--seed; an int), transforms (None, or a dict column ->
    spec such as "log1p" or "floor:0+log1p", or "rfm" for the CLI's defaults on RFM columns),
    standardize (z-score after the transforms: the CLI's default is True; False here, as
    scikit-learn's KMeans works on X as given), silhouette_limit (rows of the silhouette
    computed for the model file's training metrics), device ("auto" | "cpu" | "cuda" |
    "cuda:N"), threads (0 = all cores).

    X: a float32/float64 numpy array (C or F order), a pandas, polars or pyarrow table, or an
    object exporting the Arrow C data or stream interface. Read without a copy: a float64 or
    float32 array in F order (pandas gives one for an all-float64 frame; float32 values are read
    as the doubles they equal, so the model is the float64 input's), and Arrow data (pyarrow,
    polars, pandas with Arrow dtypes, any __arrow_c_stream__ / __arrow_c_array__ exporter)
    whose float64 and float32 columns each come in one chunk without nulls (each column is read
    in place from its Arrow buffer). Copied once: a C-ordered (or otherwise strided) array, into
    float64 columns, and Arrow data with other column types, nulls or several chunks (converted
    through pandas). NaN is not allowed (k-means has no missing-value rule): a ValueError
    naming the column.

    The fitted model is the model file's text (``model_file_``); ``save(path)`` writes it, and
    ``KMeans.load(path)`` reads one the CLI wrote. Fitted attributes: cluster_centers_ (in the
    prepared space: after transforms and standardization), labels_, inertia_, n_iter_,
    cluster_names_, n_features_in_, feature_names_in_ (when X has column names).
    """

    _kind = "kmeans"

    def __init__(self, n_clusters: int = 8, *, init: str = "k-means++", n_init: int = 1,
                 max_iter: int = 300, tol: float = 1e-4, refine: str = "hartigan",
                 random_state: Optional[int] = 42, transforms=None, standardize: bool = False,
                 silhouette_limit: int = 20000, device: str = "auto", threads: int = 0):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.refine = refine
        self.random_state = random_state
        self.transforms = transforms
        self.standardize = standardize
        self.silhouette_limit = silhouette_limit
        self.device = device
        self.threads = threads

    def _transform_specs(self, names: list[str]) -> list[str]:
        if self.transforms is None:
            return ["none"] * len(names)
        if self.transforms == "rfm":
            defaults = {"recency_days": "log1p", "frequency": "log1p",
                        "monetary_total": "floor:0+log1p", "monetary_mean": "floor:0+log1p"}
            return [defaults.get(n, "none") for n in names]
        if not isinstance(self.transforms, dict):
            raise TypeError("transforms: expected None, 'rfm' or a dict column -> spec")
        unknown = sorted(set(self.transforms) - set(names))
        if unknown:
            raise ValueError(f"transforms: {unknown[0]} is not one of the features")
        return [str(self.transforms.get(n, "none")) for n in names]

    def _seed(self) -> int:
        if self.random_state is None:
            return 42
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        raise TypeError("random_state: expected an int (cie's seeds are integers) or None")

    @fitting
    def fit(self, X, y=None, sample_weight=None):
        self._check_device()
        X = self._engine_input(X, reset=True)
        names = self._feature_names()
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, _rows(X))
        result = _core.kmeans_fit(
            X, names, self._transform_specs(names), bool(self.standardize), int(self.n_clusters),
            str(self.init), int(self.n_init), int(self.max_iter), float(self.tol),
            str(self.refine), self._seed(), int(self.silhouette_limit), weights, self.device,
            int(self.threads))
        self._set_fitted(result["model"])
        self.labels_ = result["labels"].astype(np.int64)
        self.inertia_ = float(result["inertia"])
        self.n_iter_ = int(result["iterations"])
        return self

    def _engine_input(self, X, reset: bool):
        """What the engine reads: Arrow data as its columns (no copy, see the class docstring),
        anything else as a checked 2-D float32/float64 array."""
        columns = self._check_columns(X, reset=reset)
        return columns if columns is not None else self._check_X(X, reset=reset,
                                                                  allow_nan=False)

    def _set_fitted(self, text: str) -> None:
        model = _core.kmeans_model(text)
        self.model_file_ = text
        self.cluster_centers_ = np.ascontiguousarray(model["centroids"], dtype=np.float64)
        self.cluster_names_ = list(model["cluster_names"])
        self._set_feature_names(list(model["features"]))

    @staticmethod
    def _params_from_document(document: dict) -> dict:
        params = document.get("params", {})
        pipeline = document.get("features", {})
        columns = pipeline.get("columns", [])
        transforms = {c["name"]: c["transform"] for c in columns if c.get("transform") != "none"}
        return {"n_clusters": params.get("n_clusters", 8), "init": params.get("init", "k-means++"),
                "n_init": params.get("n_init", 1), "max_iter": params.get("max_iter", 300),
                "tol": params.get("tol", 1e-4), "refine": params.get("refine", "hartigan"),
                "random_state": params.get("seed", 42), "transforms": transforms or None,
                "standardize": bool(pipeline.get("standardize", False))}

    def _assign(self, X):
        check_is_fitted(self, "model_file_")
        X = self._engine_input(X, reset=False)
        return _core.kmeans_assign(self.model_file_, X, self._feature_names(), self.device,
                                   int(self.threads))

    def predict(self, X, sample_weight=None):
        """The nearest cluster of each row (SegmentModel::assign, as `cie segment assign`)."""
        return self._assign(X)[0].astype(np.int64)

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X):
        """Euclidean distance of each row to each centroid, in the prepared space."""
        prepared = np.asarray(self._assign(X)[1], dtype=np.float64)
        diff = prepared[:, None, :] - self.cluster_centers_[None, :, :]
        return np.sqrt(np.einsum("ikj,ikj->ik", diff, diff))

    def score(self, X, y=None, sample_weight=None):
        """Minus the inertia of X (sum of squared distances to the nearest centroid)."""
        return -float(self._assign(X)[2])

    def __getstate__(self):
        # Pickled through the model file: parameters, the model file's text, and what fitting
        # measured that the file does not hold (labels, inertia, iterations).
        state = {"params": self.get_params(deep=False)}
        if hasattr(self, "model_file_"):
            state.update(model_file=self.model_file_, labels=self.labels_,
                         inertia=self.inertia_, n_iter=self.n_iter_)
        return state

    def __setstate__(self, state):
        self.__init__(**state["params"])
        if "model_file" in state:
            self._set_fitted(state["model_file"])
            self.labels_ = state["labels"]
            self.inertia_ = state["inertia"]
            self.n_iter_ = state["n_iter"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
