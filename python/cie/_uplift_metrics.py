"""Inputs and metrics of cie.uplift: responses and treatment columns checked as scikit-uplift
takes them, and the Qini coefficient and AUUC as `cie uplift train` reports them (the engine's
models/uplift metrics)."""
from __future__ import annotations

import numpy as np
from sklearn.utils.validation import column_or_1d

from cie import _core
from cie._estimator import as_checkable


def _labels_name(values, default: str) -> str:
    name = getattr(values, "name", None)
    return str(name) if name is not None and name != "" else default


def _as_1d(values, what: str) -> np.ndarray:
    values = as_checkable(values)
    if hasattr(values, "shape") and len(values.shape) == 2 and values.shape[1] == 1:
        values = np.asarray(values)[:, 0]
    try:
        return column_or_1d(np.asarray(values), warn=False)
    except ValueError:
        raise ValueError(f"{what}: expected one value per row (1-D), got shape "
                         f"{np.shape(values)}") from None


def _response(y, rows: int) -> np.ndarray:
    """y as 0/1 float32 (bool or numbers 0 and 1); a ValueError otherwise."""
    y = _as_1d(y, "y")
    if len(y) != rows:
        raise ValueError(f"y has {len(y)} values but X has {rows} rows")
    if y.dtype.kind == "b":
        return y.astype(np.float32)
    if y.dtype.kind not in "iuf" or not np.isin(y, (0, 1)).all():
        found = [v for v in np.unique(y.astype(object)) if v not in (0, 1)][:3]
        raise ValueError(f"y: expected the response as 0/1 (or bool), got values such as "
                         f"{found}")
    return y.astype(np.float32)


def _same_label(value, label) -> bool:
    return value == label or str(value) == str(label)


def qini_score(y_true, uplift, treatment) -> float:
    """The Qini coefficient of predicted `uplift` for customers with response `y_true` (0/1) and
    `treatment` (1 treated, 0 control), as `cie uplift train` reports it and as scikit-uplift's
    qini_auc_score (negative_effect=True) defines it."""
    return _metrics(y_true, uplift, treatment)["qini_coefficient"]


def uplift_auc_score(y_true, uplift, treatment) -> float:
    """The area under the uplift curve, normalized as scikit-uplift's uplift_auc_score (the
    CLI's AUUC)."""
    return _metrics(y_true, uplift, treatment)["auuc"]


def _metrics(y_true, uplift, treatment) -> dict:
    uplift = np.ascontiguousarray(_as_1d(uplift, "uplift"), dtype=np.float64)
    response = _response(y_true, len(uplift)).astype(np.uint8)
    groups = _as_1d(treatment, "treatment")
    if len(groups) != len(uplift) or not np.isin(groups, (0, 1)).all():
        raise ValueError("treatment: expected 0/1 (1 treated, 0 control), one per prediction")
    return _core.uplift_metrics(uplift, response, np.ascontiguousarray(groups, dtype=np.uint8))
