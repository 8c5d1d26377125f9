"""cie: customer intelligence engine for Python: RFM (cie.rfm), k-means segments (cie.KMeans) and
response-propensity models (cie.LogisticRegression, cie.GradientBoostingClassifier), lifetime
value (cie.clv) and uplift models (cie.uplift) on the engine of the `cie` command, reading and
writing its model files."""
from cie import _core
from cie._core import DeviceError, built_with_cuda
from cie.rfm import COLUMNS as RFM_COLUMNS
from cie.rfm import rfm

__version__ = _core.__version__


def __getattr__(name):
    # The estimators import scikit-learn: only when they are asked for.
    if name == "KMeans":
        from cie.kmeans import KMeans
        return KMeans
    if name == "LogisticRegression":
        from cie.logistic import LogisticRegression
        return LogisticRegression
    if name == "GradientBoostingClassifier":
        from cie.gbdt import GradientBoostingClassifier
        return GradientBoostingClassifier
    if name == "clv":
        import cie.clv
        return cie.clv
    if name == "uplift":
        import cie.uplift
        return cie.uplift
    raise AttributeError(f"module 'cie' has no attribute {name!r}")


__all__ = ["rfm", "RFM_COLUMNS", "KMeans", "LogisticRegression", "GradientBoostingClassifier", "DeviceError", "built_with_cuda",
           "__version__"]
