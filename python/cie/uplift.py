"""cie.uplift: uplift models (who is persuaded by contact) with scikit-uplift's API, on the engine
of `cie uplift train` / `cie uplift score` (models/uplift), reading and writing its model files.

    TwoModels            the two-model method (T-learner): uplift = p_treated - p_control
    ClassTransformation  the class-variable transformation: uplift = 2 P(z = 1) - 1
    XLearner             the X-learner (Kuenzel et al. 2019)

Each is fitted as ``fit(X, y, treatment)`` (scikit-uplift's order) and ``predict(X)`` gives the
uplift per row; ``score(X, y, treatment)`` is the Qini coefficient. The base learner is a
``cie.LogisticRegression`` (the default) or a ``cie.GradientBoostingClassifier``, passed as
``estimator`` (scikit-uplift's name), whose settings are those of `cie uplift train --model-type`.
With ``arms=`` one model file holds a learner per arm against one control (`--arms`).
"""
from __future__ import annotations

import json
import warnings

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from cie import _core
from cie._classifier import CategoricalInput, rows_of
from cie._estimator import EngineEstimator, fitting
from cie._uplift_metrics import (_as_1d, _labels_name, _response, _same_label, qini_score,
                                 uplift_auc_score)
from cie.gbdt import DOCUMENT_NAMES, GradientBoostingClassifier
from cie.logistic import LogisticRegression

# The base learners' parameters the uplift learners use (as `cie uplift train` has them, and as
# its model files record them); any other must keep its default.
_LOGISTIC_USED = ("penalty", "C", "tol", "max_iter")
_GBDT_USED = tuple(DOCUMENT_NAMES.values())
_BASE_OWN = ("device", "threads")  # the uplift learner's own device and threads are used


class UpliftEstimator(CategoricalInput, EngineEstimator):
    """Base of the uplift learners (subclasses set _method, the CLI's --method).

    Parameters: estimator (the base learner: None for cie.LogisticRegression(), or a
    cie.LogisticRegression / cie.GradientBoostingClassifier: of a LogisticRegression the uplift
    learners use penalty, C, tol, max_iter; of a GradientBoostingClassifier its tree parameters
    and random_state (the CLI's --seed); every other parameter must keep its default), treated
    and control (the treatment labels, as the CLI's --treated / --control: None for a 0/1
    treatment; with treated given, every other label is the control unless control is given,
    and then rows with other labels are left out), arms (several arms against one control, as
    the CLI's --arms: a list of labels, or "all" for every label but the control, sorted as
    text; control required, treated None), device, threads."""

    _kind = "uplift"
    _method = ""
    _takes_categorical = True

    def __init__(self, estimator=None, *, treated=None, control=None, arms=None,
                 device: str = "auto", threads: int = 0):
        self.estimator = estimator
        self.treated = treated
        self.control = control
        self.arms = arms
        self.device = device
        self.threads = threads

    def _allow_nan(self) -> bool:
        return True  # a missing value: mean imputation (logistic) or native (gbdt), as the CLI

    # Parameters --------------------------------------------------------------------------------
    def _base_learner(self):
        """("logistic" | "gbdt", the base estimator's parameters)."""
        base = LogisticRegression() if self.estimator is None else self.estimator
        if isinstance(base, GradientBoostingClassifier):
            learner, used = "gbdt", _GBDT_USED
        elif isinstance(base, LogisticRegression):
            learner, used = "logistic", _LOGISTIC_USED
        else:
            raise TypeError(f"estimator: expected None, a cie.LogisticRegression or a "
                            f"cie.GradientBoostingClassifier, got {type(base).__name__}")
        params = base.get_params(deep=False)
        defaults = type(base)().get_params(deep=False)
        for name, value in params.items():
            if name in used or name in _BASE_OWN:
                continue
            if value is not defaults[name] and value != defaults[name]:
                raise ValueError(f"estimator: {type(base).__name__}({name}={value!r}) is not "
                                 f"used by the uplift learners (as `cie uplift train`): they "
                                 f"take {', '.join(used)}; leave {name} at its default")
        return learner, params

    @classmethod
    def _params_from_document(cls, document: dict) -> dict:
        params = document.get("params", {})
        if params.get("model_type") == "gbdt":
            gbdt = params.get("gbdt", {})
            estimator = GradientBoostingClassifier(
                **{name: gbdt[key] for key, name in DOCUMENT_NAMES.items() if key in gbdt})
        else:
            estimator = LogisticRegression(
                **{key: params[key] for key in _LOGISTIC_USED if key in params})
        if "arms" in params:
            return {"estimator": estimator, "arms": [str(a) for a in params["arms"]],
                    "control": str(params.get("control"))}
        treated, control = str(params.get("treated", "1")), str(params.get("control", "0"))
        if (treated, control) == ("1", "0"):
            return {"estimator": estimator}
        return {"estimator": estimator, "treated": treated, "control": control or None}

    # Inputs ------------------------------------------------------------------------------------
    def _groups(self, treatment, rows: int):
        """(group per kept row as int32: 0 control, k + 1 arm k; the kept rows or None for all;
        the arms' labels as text; the control's label as text ("" for every other label))."""
        labels = _as_1d(treatment, "treatment")
        if len(labels) != rows:
            raise ValueError(f"treatment has {len(labels)} values but X has {rows} rows")
        if self.arms is not None:
            return self._arm_groups(labels)
        if self.treated is None:
            if self.control is not None:
                raise ValueError("control: give treated as well (the label of the treated "
                                 "rows), or neither for a 0/1 treatment")
            if labels.dtype.kind != "b" and (labels.dtype.kind not in "iuf" or
                                             not np.isin(labels, (0, 1)).all()):
                found = [v for v in np.unique(labels.astype(object)) if v not in (0, 1)][:3]
                raise ValueError(f"treatment: expected 0/1 (1 treated, 0 control), got values "
                                 f"such as {found}; for labels give treated= (and control=), "
                                 f"for several arms arms= and control=")
            return labels.astype(np.int32), None, ["1"], "0"
        distinct = list(np.unique(labels.astype(object)))
        is_treated = {v: _same_label(v, self.treated) for v in distinct}
        is_control = {v: (not is_treated[v]) if self.control is None else
                      _same_label(v, self.control) for v in distinct}
        if not any(is_treated.values()):
            raise ValueError(f"treated: no row of treatment holds {self.treated!r}")
        if self.control is not None and not any(is_control.values()):
            raise ValueError(f"control: no row of treatment holds {self.control!r}")
        if any(is_treated[v] and is_control[v] for v in distinct):
            raise ValueError(f"treated and control: both name {self.treated!r}")
        group = {v: 1 if is_treated[v] else 0 if is_control[v] else -1 for v in distinct}
        control = "" if self.control is None else str(self.control)
        return (*self._kept(labels, group), [str(self.treated)], control)

    def _arm_groups(self, labels):
        if self.treated is not None:
            raise ValueError("give treated (one arm) or arms (several), not both")
        if self.control is None:
            raise ValueError("arms: control names the control group")
        distinct = list(np.unique(labels.astype(object)))
        if not any(_same_label(v, self.control) for v in distinct):
            raise ValueError(f"control: no row of treatment holds {self.control!r}")
        if isinstance(self.arms, str):
            if self.arms != "all":
                raise ValueError(f"arms: expected a list of labels or 'all', got {self.arms!r}")
            arms = sorted({str(v) for v in distinct if not _same_label(v, self.control)})
            if not arms:
                raise ValueError(f"arms='all': treatment holds no label but the control "
                                 f"{self.control!r}")
        else:
            arms = [str(a) for a in self.arms]
            if not arms or len(set(arms)) != len(arms) or str(self.control) in arms:
                raise ValueError(f"arms: expected distinct labels other than the control, got "
                                 f"{self.arms!r}")
        group = {}
        for v in distinct:
            arm = [k for k, a in enumerate(arms) if _same_label(v, a)]
            group[v] = 0 if _same_label(v, self.control) else arm[0] + 1 if arm else -1
        for k, arm in enumerate(arms):
            if k + 1 not in group.values():
                raise ValueError(f"arms: no row of treatment holds {arm!r}")
        return (*self._kept(labels, group), arms, str(self.control))

    @staticmethod
    def _kept(labels, group: dict):
        codes = np.fromiter((group[v] for v in labels.astype(object)), np.int32, len(labels))
        if (codes >= 0).all():
            return codes, None
        kept = np.flatnonzero(codes >= 0)
        return codes[kept], kept

    @staticmethod
    def _check_groups(response, groups, names, target: str) -> None:
        for code, name in enumerate(names):
            group = response[groups == code]
            if len(group) == 0:
                raise ValueError(f"treatment: no rows of {name}: an uplift model compares "
                                 f"each arm with the control")
            if group.min() == group.max():
                raise ValueError(f"y: every one of the {len(group)} rows of {name} has "
                                 f"{target} = {int(group[0])}: an uplift model needs "
                                 f"responders and non-responders in every arm and in the "
                                 f"control")

    # Fit and predict ---------------------------------------------------------------------------
    @fitting
    def fit(self, X, y, treatment):
        """Fits the model as `cie uplift train --validation 0` (every row trains; the model
        file's training_metrics are the Qini coefficient, AUUC and deciles on those rows).
        X: numeric and categorical columns (pandas Categorical, Arrow dictionary, polars
        Categorical/Enum: one-hot, as the CLI's text columns); NaN is a missing value.
        y: the response, 0/1 or bool. treatment: 0/1 or bool (1 treated), or labels with
        treated= (and control=). A column that reveals the treatment (one side holds a single
        value the other never has, as a campaign's own channel column) is kept with a
        UserWarning, as the CLI keeps one named in --features."""
        self._check_device()
        learner, base = self._base_learner()
        target = _labels_name(y, "y")
        treatment_column = _labels_name(treatment, "treatment")
        X, categorical, order = self._split_X(X, reset=True)
        response = _response(y, rows_of(X))
        groups, kept, arms, control = self._groups(treatment, rows_of(X))
        if kept is not None:
            response = response[kept]
        multi_arm = self.arms is not None
        names = ["the control" if not multi_arm else f"the control {control!r}"] + (
            [f"arm {a!r}" for a in arms] if multi_arm else ["the treated"])
        self._check_groups(response, groups, names, target)
        numeric = [n for n in order if n not in {c[0] for c in categorical}]
        if learner == "gbdt":
            if not isinstance(base["random_state"], (int, np.integer)):
                raise TypeError("estimator: random_state: expected an int (cie's seeds are "
                                "integers)")
            gbdt = {key: base[name] for key, name in DOCUMENT_NAMES.items()}
            seed, penalty, C, tol, max_iter = int(base["random_state"]), "l2", 1.0, 1e-8, 1000
        else:
            gbdt, seed = {}, 42
            penalty, C, tol, max_iter = (base["penalty"], base["C"], base["tol"],
                                         base["max_iter"])
        result = _core.uplift_fit(
            X, numeric, categorical, order,
            None if kept is None else np.ascontiguousarray(kept, dtype=np.int64),
            np.ascontiguousarray(response), np.ascontiguousarray(groups), arms, multi_arm,
            control, self._method, learner, str(penalty), float(C), float(tol), int(max_iter),
            gbdt, seed, target, treatment_column, self.device, int(self.threads))
        for name in result["revealing"]:
            warnings.warn(f"feature {name} tells the control from the treated rows (one side "
                          f"holds a single value the other never has): it reveals the "
                          f"treatment, not the effect", UserWarning, stacklevel=2)
        self._set_fitted(result["model"])
        return self

    def _set_fitted(self, text: str) -> None:
        model = _core.uplift_model(text)
        if model["method"] != self._method:
            raise ValueError(f"model file: a {model['method']} uplift model, not "
                             f"{self._method}; load it with cie.uplift.load")
        self.model_file_ = text
        self._set_feature_names(list(model["inputs"]))
        self.categorical_features_ = list(model["categorical"])
        self.feature_names_out_ = np.asarray(model["features"], dtype=object)
        self.training_report_ = json.loads(text)["training_metrics"]
        if "arms" in model:
            self.arms_ = np.asarray(model["arms"], dtype=object)
            self.control_ = model["control"]

    def _predict(self, X) -> dict:
        check_is_fitted(self, "model_file_")
        X, categorical, order = self._split_X(X, reset=False)
        numeric = [n for n in order if n not in {c[0] for c in categorical}]
        return _core.uplift_predict(self.model_file_, X, numeric, categorical, self.device,
                                    int(self.threads))

    def predict(self, X) -> np.ndarray:
        """The predicted uplift of each row (UpliftModel::predict, the `uplift` column of
        `cie uplift score`; with several arms the best arm's uplift)."""
        return np.asarray(self._predict(X)["uplift"])

    @available_if(lambda self: hasattr(self, "arms_"))
    def predict_arms(self, X):
        """With several arms: (each arm's predicted uplift, rows x arms in the order of arms_;
        the best arm's label per row, ties to the arm listed first), the `<arm>_uplift` and
        `best_arm` columns of `cie uplift score`. A best uplift below 0: no arm is predicted to
        beat the control."""
        result = self._predict(X)
        return np.asarray(result["arm_uplift"]), self.arms_[np.asarray(result["best_arm"])]

    def score(self, X, y, treatment) -> float:
        """The Qini coefficient of predict(X) on these customers (as `cie uplift train`
        computes it); treatment as in fit (rows of labels that are neither group left out).
        With several arms: the mean over the arms of each arm's Qini coefficient, its
        predicted uplift on its own and the control's rows (as the CLI reports per arm)."""
        result = self._predict(X)
        uplift = np.asarray(result["uplift"])
        response = _response(y, len(uplift))
        groups, kept, arms, _ = self._groups(treatment, len(uplift))
        if kept is not None:
            response = response[kept]
        if "arm_uplift" not in result:
            uplift = uplift if kept is None else uplift[kept]
            return qini_score(response, uplift, groups)
        by_arm = np.asarray(result["arm_uplift"])
        by_arm = by_arm if kept is None else by_arm[kept]
        if list(arms) != list(self.arms_):
            raise ValueError(f"treatment: its arms {arms} are not the model's "
                             f"{list(self.arms_)}")
        qini = [qini_score(response[(groups == 0) | (groups == k + 1)],
                           by_arm[(groups == 0) | (groups == k + 1), k],
                           (groups[(groups == 0) | (groups == k + 1)] > 0).astype(np.uint8))
                for k in range(len(arms))]
        return float(np.mean(qini))

    # Pickling through the model file -----------------------------------------------------------
    def __getstate__(self):
        state = {"params": self.get_params(deep=False)}
        if hasattr(self, "model_file_"):
            state["model_file"] = self.model_file_
        return state

    def __setstate__(self, state):
        self.__init__(**state["params"])
        if "model_file" in state:
            self._set_fitted(state["model_file"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.target_tags.required = True
        return tags


def _has_response_models(estimator) -> bool:
    return estimator._method != "class-transformation" and estimator.arms is None


class _ResponseModels:
    @available_if(_has_response_models)
    def predict_response(self, X):
        """(p_treated, p_control): the response models' probabilities for each row, the
        p_treated and p_control columns of `cie uplift score` (two-model: uplift = p_treated -
        p_control; x-learner: the response models mu_1 and mu_0 of its first step). One arm
        only (the CLI writes no such columns for several)."""
        result = self._predict(X)
        return np.asarray(result["p_treated"]), np.asarray(result["p_control"])


class TwoModels(_ResponseModels, UpliftEstimator):
    """The two-model method (T-learner, scikit-uplift's TwoModels with method="vanilla"): one
    response model on the treated rows, one on the control rows; uplift = p_treated - p_control.
    `cie uplift train --method two-model --validation 0`. """
    _method = "two-model"


class ClassTransformation(UpliftEstimator):
    """The class-variable transformation (Jaskowski and Jaroszewicz 2012; scikit-uplift's
    ClassTransformation): z = 1 for treated responders and control non-responders, one model of
    P(z | x) weighted so that both groups carry equal weight; uplift = 2 P(z = 1 | x) - 1.
    `cie uplift train --method class-transformation --validation 0`. No response models."""
    _method = "class-transformation"


class XLearner(_ResponseModels, UpliftEstimator):
    """The X-learner (Kuenzel, Sekhon, Bickel and Yu 2019): response models per group, imputed
    individual effects, an effect regression per group (ridge with alpha = 1/C for logistic base
    learners, squared-error trees with the same settings for gbdt) and their combination by a
    treatment propensity (logistic). `cie uplift train --method x-learner --validation 0`."""
    _method = "x-learner"


_CLASSES = {cls._method: cls for cls in (TwoModels, ClassTransformation, XLearner)}


def load(path, **params):
    """The uplift learner of a model file written by `cie uplift train` or by save(): a
    TwoModels, ClassTransformation or XLearner as the file's method; `params` (device, threads)
    override the file's."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        method = json.loads(text).get("fitted", {}).get("method")
    except ValueError:
        raise ValueError("model file: not a cie model file (not JSON)") from None
    if method not in _CLASSES:
        raise ValueError(f"model file: not an uplift model (method {method!r})")
    return _CLASSES[method].from_model_file(text, **params)


__all__ = ["TwoModels", "ClassTransformation", "XLearner", "UpliftEstimator", "load",
           "qini_score", "uplift_auc_score"]
