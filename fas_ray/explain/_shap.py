"""SHAP feature importance (mean |SHAP| per feature) for the tree models fas-ray trains."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fas_ray.ml._ensemble import VotingEnsemble

__all__ = ["FeatureImportance", "shap_importance"]

log = logging.getLogger("fas_ray.explain")


@dataclass(frozen=True)
class FeatureImportance:
    feature: str
    importance: float


def _is_tree_model(estimator: Any) -> bool:
    """LightGBM, XGBoost, CatBoost and scikit-learn forests, subclasses included (e.g. balanced
    XGBoost)."""
    prefixes = ("lightgbm", "xgboost", "catboost", "sklearn.ensemble")
    return any(cls.__module__.startswith(prefixes) for cls in type(estimator).__mro__)


def _per_feature(values: np.ndarray) -> np.ndarray:
    """Mean |SHAP| per feature (averaged over classes for multiclass output)."""
    per_feature = np.abs(values).mean(axis=0)
    if per_feature.ndim == 2:
        per_feature = per_feature.mean(axis=1)
    return np.asarray(per_feature, dtype=np.float64)


def _ensemble_importance(estimator: Any, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """A weighted ensemble: each member's mean |SHAP| normalised to sum 1 (members explain
    different scales: log-odds, probabilities, values), then averaged with the ensemble's
    weights. Every member keeps its fast exact explainer."""
    total = np.zeros(X.shape[1], dtype=np.float64)
    weights = [float(w) for w in estimator.weights]
    for member, weight in zip(estimator.estimators, weights, strict=True):
        if weight <= 0:
            continue
        member_importance = _per_feature(_shap_values(member, X, background))
        norm = member_importance.sum()
        if norm > 0:
            total += weight * member_importance / norm
    return total / max(sum(w for w in weights if w > 0), 1e-12)


def _shap_values(estimator: Any, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """SHAP values as an array (rows, features) or (rows, features, classes).

    Tree models get exact TreeExplainer values; any other model a permutation explainer over
    its predictions (probabilities for classifiers) with ``background`` as the masker.
    """
    import shap

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shap values output has changed.*")
        if _is_tree_model(estimator):
            values: Any = shap.TreeExplainer(estimator).shap_values(X, check_additivity=False)
        elif hasattr(estimator, "steps") and hasattr(estimator.steps[-1][1], "coef_"):
            # a (scaler, linear model) pipeline: exact linear SHAP in the scaled space
            prep, last = estimator[:-1], estimator.steps[-1][1]
            masker = shap.maskers.Independent(prep.transform(background))
            values = shap.LinearExplainer(last, masker).shap_values(prep.transform(X))
        else:
            from fas_ray.explain._values import _permutation

            fn = (
                estimator.predict_proba
                if hasattr(estimator, "predict_proba")
                else estimator.predict
            )
            values, _ = _permutation(fn, X, background)
    if isinstance(values, list):  # older shap: one array per class
        values = np.stack(values, axis=-1)
    return np.asarray(values, dtype=np.float64)


def shap_importance(
    estimator: Any,
    X: np.ndarray,
    feature_names: list[str],
    *,
    top: int = 20,
    sample: int = 100,
    seed: int = 0,
) -> list[FeatureImportance]:
    """The ``top`` features by mean |SHAP| over a sample of at most ``sample`` rows of ``X``.

    For an ensemble the importance is the weighted average of its members' normalised mean
    |SHAP| (so it ranks features; its scale is a share, not a model output).
    """
    rng = np.random.default_rng(seed)
    background = X
    if len(X) > sample:
        X = X[np.sort(rng.choice(len(X), size=sample, replace=False))]
        background = X
    if isinstance(estimator, VotingEnsemble):
        per_feature = _ensemble_importance(estimator, X, background)
    else:
        per_feature = _per_feature(_shap_values(estimator, X, background))
    order = np.argsort(-per_feature, kind="stable")[:top]
    return [FeatureImportance(feature_names[i], float(per_feature[i])) for i in order]
