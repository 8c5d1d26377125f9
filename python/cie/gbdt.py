"""cie.GradientBoostingClassifier: boosted trees as a propensity model, scikit-learn's API."""
from __future__ import annotations

import numpy as np

from cie import _core
from cie._classifier import PropensityClassifier, transform_specs


# The tree parameters as model files name them (params.gbdt) -> this estimator's parameters.
DOCUMENT_NAMES = {"n_trees": "n_estimators", "learning_rate": "learning_rate",
                  "num_leaves": "num_leaves", "max_depth": "max_depth",
                  "grow_policy": "grow_policy", "max_bin": "max_bin",
                  "min_child_weight": "min_child_weight", "min_data_in_leaf": "min_samples_leaf",
                  "lambda": "reg_lambda", "alpha": "reg_alpha",
                  "min_split_gain": "min_split_gain", "subsample": "subsample",
                  "colsample_bytree": "colsample_bytree", "scale_pos_weight": "scale_pos_weight",
                  "seed": "random_state"}


class GradientBoostingClassifier(PropensityClassifier):
    """Histogram gradient-boosted trees for a binary response, as `cie propensity train
    --model-type gbdt --validation 0` trains them (models/gbdt through models/propensity), with
    the scikit-learn API (fit / predict / predict_proba / decision_function / score,
    get_params / set_params; usable in Pipeline, GridSearchCV and clone); ``save`` and
    ``load`` of the same model files.

    Parameters are the CLI's (LightGBM's names where scikit-learn has none): n_estimators,
    learning_rate, num_leaves, max_depth (-1: none), grow_policy ("leafwise" | "depthwise"),
    max_bin, min_child_weight, min_samples_leaf, reg_lambda, reg_alpha, min_split_gain,
    subsample, colsample_bytree, scale_pos_weight, random_state (an int seed), transforms,
    missing ("native": NaN is routed by each split's learned default direction, the CLI's gbdt
    default; "mean_impute"; "error"), max_levels (--max-levels: levels kept per categorical
    column, the most frequent; the rest are treated as missing), device, threads. No early
    stopping (the CLI holds rows out for it; here every row trains). X and y as
    cie.LogisticRegression (an F-ordered float64 or float32 array, and Arrow float64/float32
    columns in one chunk without nulls, are read without a copy; any other layout is copied
    once into float64 columns), and categorical columns (pandas Categorical, Arrow dictionary,
    polars Categorical/Enum: read through pandas): each is one feature of level codes split
    natively (the CLI's --categorical-splits native), its levels taken as text in the order of
    first appearance (as the CLI reads them from a file), missing categories routed as missing
    values. A string column is a TypeError naming it (make it categorical: ``astype("category")``).
    Fitted: feature_importances_ (total split gain per encoded feature, normalized to sum 1),
    n_estimators_ (trees grown), categorical_features_ (the columns fitted as categorical).
    """

    _learner = "gbdt"
    _missing_policies = ("native", "mean_impute", "error")
    _takes_categorical = True

    def __init__(self, n_estimators: int = 100, *, learning_rate: float = 0.1,
                 num_leaves: int = 31, max_depth: int = -1, grow_policy: str = "leafwise",
                 max_bin: int = 255, min_child_weight: float = 1e-3, min_samples_leaf: int = 20,
                 reg_lambda: float = 0.0, reg_alpha: float = 0.0, min_split_gain: float = 0.0,
                 subsample: float = 1.0, colsample_bytree: float = 1.0,
                 scale_pos_weight: float = 1.0, random_state: int = 42, transforms=None,
                 missing: str = "native", max_levels: int = 32, device: str = "auto",
                 threads: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.grow_policy = grow_policy
        self.max_bin = max_bin
        self.min_child_weight = min_child_weight
        self.min_samples_leaf = min_samples_leaf
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.min_split_gain = min_split_gain
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.scale_pos_weight = scale_pos_weight
        self.random_state = random_state
        self.transforms = transforms
        self.missing = missing
        self.max_levels = max_levels
        self.device = device
        self.threads = threads

    def _engine_fit(self, X, names, labels, weights, target, positive, classes,
                    categorical=(), order=None) -> str:
        if not isinstance(self.random_state, (int, np.integer)):
            raise TypeError("random_state: expected an int (cie's seeds are integers)")
        return _core.gbdt_fit(
            X, names, list(categorical), list(order or names), int(self.max_levels), labels, weights, transform_specs(self.transforms, names), self.missing,
            int(self.n_estimators), float(self.learning_rate), int(self.num_leaves),
            int(self.max_depth), str(self.grow_policy), int(self.max_bin),
            float(self.min_child_weight), int(self.min_samples_leaf), float(self.reg_lambda),
            float(self.reg_alpha), float(self.min_split_gain), float(self.subsample),
            float(self.colsample_bytree), float(self.scale_pos_weight), int(self.random_state),
            target, positive, self.device, int(self.threads))["model"]

    def _set_learner(self, model: dict) -> None:
        gain = np.asarray(model["importance_gain"], dtype=np.float64)
        total = gain.sum()
        self.feature_importances_ = gain / total if total > 0 else gain
        self.n_estimators_ = int(model["trees"])

    @classmethod
    def _params_from_document(cls, document: dict) -> dict:
        out = cls._common_params(document)
        gbdt = document.get("params", {}).get("gbdt", {})
        levels = {c.get("max_levels") for c in document.get("features", {}).get("columns", [])
                  if c.get("type") == "categorical"}
        if len(levels) == 1 and None not in levels:
            out["max_levels"] = int(levels.pop())
        for key, name in DOCUMENT_NAMES.items():
            if key in gbdt:
                out[name] = gbdt[key]
        return out
