"""SHAP values for a sample of rows, in one shape whatever the model: the data behind the
summary (beeswarm) charts and the per-row explanations.

- tree models (LightGBM, XGBoost, scikit-learn forests): exact TreeExplainer values, in the
  model's raw output (log-odds for LightGBM / XGBoost classifiers, probabilities for forests,
  values for regressors), so ``values.sum(features) + base_values`` is that output per row;
- the linear learner (scaler + linear model): exact linear SHAP in the scaled space;
- a weighted ensemble: the weighted sum of its members' SHAP values in the ensemble's own
  output space (class probabilities, or values), which adds up to the ensemble's prediction
  because SHAP values are linear in the model. Members get exact explainers there: tree models
  interventional TreeSHAP against the background (``model_output="probability"`` for binary
  boosting), forests their probability TreeSHAP, the rest the permutation explainer;
- anything else: a model-agnostic permutation explainer over the model's predictions (class
  probabilities for classifiers) with a background sample as the masker.

Calibration is not part of the explained output: it is one increasing map on top.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fas_ray.explain._shap import FeatureImportance, _is_tree_model

__all__ = ["ShapExplanation", "explain_fitted", "explain_matrix"]


@dataclass
class ShapExplanation:
    """SHAP values of ``data`` rows.

    Args:
        values: ``(rows, features, outputs)``.
        base_values: ``(outputs,)``: the expected output over the background.
        data: ``(rows, features)``: the explained feature values.
        feature_names: one per feature column.
        output_names: one per output (``["value"]``, ``["log-odds of 1"]``, or class labels).
        explainer: ``tree``, ``linear``, ``ensemble`` or ``permutation``.
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list[str]
    output_names: list[str]
    explainer: str
    notes: list[str] = field(default_factory=list)

    def importance(self, top: int = 20) -> list[FeatureImportance]:
        """Features by mean |SHAP| over rows (and outputs), largest first."""
        per_feature = np.abs(self.values).mean(axis=(0, 2))
        order = np.argsort(-per_feature, kind="stable")[:top]
        return [FeatureImportance(self.feature_names[i], float(per_feature[i])) for i in order]

    def output_index(self, output: int | None = None) -> int:
        """The output a single-output view shows: the given one, else the positive class of a
        two-output (binary probability) model, else the first."""
        if output is not None:
            return output
        return 1 if self.values.shape[2] == 2 else 0

    def row(self, i: int, output: int | None = None, top: int = 20) -> dict[str, Any]:
        """One row's explanation: the base value, the ``top`` contributions (largest |SHAP|
        first) and the prediction they explain (base value + every feature's SHAP value)."""
        k = self.output_index(output)
        contributions = self.values[i, :, k]
        order = np.argsort(-np.abs(contributions), kind="stable")[:top]
        return {
            "output": self.output_names[k],
            "base_value": float(self.base_values[k]),
            "prediction": float(self.base_values[k] + contributions.sum()),
            "contributions": [
                {
                    "feature": self.feature_names[j],
                    "value": float(self.data[i, j]) if np.isfinite(self.data[i, j]) else None,
                    "shap": float(contributions[j]),
                }
                for j in order
            ],
        }

    def to_json(self, top: int = 20) -> dict[str, Any]:
        """Importance and, for the ``top`` features, every sampled row's value and SHAP value
        (the beeswarm's points) for the output :meth:`output_index` picks."""
        k = self.output_index()
        ranked = self.importance(top)
        index = {name: j for j, name in enumerate(self.feature_names)}
        return {
            "explainer": self.explainer,
            "rows": int(self.values.shape[0]),
            "output": self.output_names[k],
            "outputs": self.output_names,
            "base_values": [float(v) for v in self.base_values],
            "importance": [{"feature": f.feature, "mean_abs_shap": f.importance} for f in ranked],
            "beeswarm": {
                f.feature: {
                    "shap": self.values[:, index[f.feature], k].round(6).tolist(),
                    "value": [
                        None if not np.isfinite(v) else round(float(v), 6)
                        for v in self.data[:, index[f.feature]]
                    ],
                }
                for f in ranked
            },
            "notes": self.notes,
        }


def _as_3d(values: Any) -> np.ndarray:
    if isinstance(values, list):  # older shap: one array per class
        values = np.stack(values, axis=-1)
    values = np.asarray(values, dtype=np.float64)
    return values[:, :, None] if values.ndim == 2 else values


def _as_base(base: Any, outputs: int) -> np.ndarray:
    base = np.asarray(base, dtype=np.float64).reshape(-1)
    if base.size == 1 and outputs > 1:
        base = np.repeat(base, outputs)
    return base[:outputs] if base.size >= outputs else np.resize(base, outputs)


def _permutation(fn: Any, X: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import shap

    explainer = shap.PermutationExplainer(fn, shap.maskers.Independent(background))
    # shap's default of 500 evaluations cannot cover more than 249 features
    result = explainer(X, silent=True, max_evals=max(500, 2 * X.shape[1] + 1))
    base = np.asarray(result.base_values, dtype=np.float64)
    base = base[0] if base.ndim > 1 else base[:1] if base.ndim == 1 else base.reshape(1)
    values = _as_3d(result.values)
    return values, _as_base(base, values.shape[2])


def _member_in_output_space(
    member: Any, X: np.ndarray, background: np.ndarray, n_classes: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """One ensemble member's SHAP values in probability (or value) space: (values, base)."""
    import shap

    module = type(member).__module__
    boosting = module.startswith(("lightgbm", "xgboost")) or any(
        c.__module__.startswith(("lightgbm", "xgboost")) for c in type(member).__mro__
    )
    if n_classes is None:  # regression: every learner's raw output is the prediction
        if _is_tree_model(member):
            explainer = shap.TreeExplainer(member)
            values = _as_3d(explainer.shap_values(X, check_additivity=False))
            return values, _as_base(explainer.expected_value, values.shape[2])
        return _permutation(member.predict, X, background)
    if _is_tree_model(member) and not boosting:  # forests: probabilities already
        explainer = shap.TreeExplainer(member)
        values = _as_3d(explainer.shap_values(X, check_additivity=False))
        if values.shape[2] == n_classes:
            return values, _as_base(explainer.expected_value, n_classes)
    if boosting and n_classes == 2:
        explainer = shap.TreeExplainer(
            member,
            data=background,
            model_output="probability",
            feature_perturbation="interventional",
        )
        positive = np.asarray(explainer.shap_values(X, check_additivity=False), dtype=np.float64)
        positive = positive[..., -1] if positive.ndim == 3 else positive
        base1 = float(np.asarray(explainer.expected_value, dtype=np.float64).reshape(-1)[-1])
        return np.stack([-positive, positive], axis=-1), np.array([1.0 - base1, base1])
    values, base = _permutation(member.predict_proba, X, background)
    if values.shape[2] != n_classes:
        raise ValueError("member output does not cover every class")
    return values, base


def _ensemble(
    estimator: Any, X: np.ndarray, background: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sum of the members' SHAP values (see the module docstring)."""
    weights = {i: float(w) for i, w in enumerate(estimator.weights) if w > 0}
    total = sum(weights.values())
    values: np.ndarray | None = None
    base: np.ndarray | None = None
    for i, w in weights.items():
        v, b = _member_in_output_space(estimator.estimators[i], X, background, estimator.n_classes)
        values = v * (w / total) if values is None else values + v * (w / total)
        base = b * (w / total) if base is None else base + b * (w / total)
    assert values is not None and base is not None
    return values, base


def explain_matrix(
    estimator: Any,
    X: np.ndarray,
    feature_names: list[str],
    *,
    background: np.ndarray | None = None,
    classes: list[Any] | None = None,
) -> ShapExplanation:
    """SHAP values of the rows ``X`` (already transformed features) for ``estimator``.

    Args:
        estimator: a fitted tree model, scaler + linear pipeline, or anything with
            ``predict_proba`` / ``predict`` (ensembles).
        X: the rows to explain.
        feature_names: names of ``X``'s columns.
        background: rows standing for "feature unknown" (linear and permutation explainers;
            default ``X`` itself).
        classes: class labels of a classifier (names the outputs).
    """
    import shap

    X = np.asarray(X, dtype=np.float64)
    background = X if background is None else np.asarray(background, dtype=np.float64)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shap values output has changed.*")
        warnings.filterwarnings("ignore", category=UserWarning)
        if _is_tree_model(estimator):
            explainer: Any = shap.TreeExplainer(estimator)
            values = _as_3d(explainer.shap_values(X, check_additivity=False))
            base = explainer.expected_value
            kind = "tree"
        elif hasattr(estimator, "steps") and hasattr(estimator.steps[-1][1], "coef_"):
            prep, last = estimator[:-1], estimator.steps[-1][1]
            masker = shap.maskers.Independent(prep.transform(background))
            explainer = shap.LinearExplainer(last, masker)
            values = _as_3d(explainer.shap_values(prep.transform(X)))
            base = explainer.expected_value
            kind = "linear"
            notes.append("linear SHAP in the scaled feature space (log-odds for classifiers)")
        elif hasattr(estimator, "estimators") and hasattr(estimator, "weights"):
            try:
                values, base = _ensemble(estimator, X, background)
                kind = "ensemble"
                notes.append("weighted sum of the members' SHAP values in the ensemble's output")
            except ValueError:
                fn = getattr(estimator, "predict_proba", None) or estimator.predict
                values, base = _permutation(fn, X, background)
                kind = "permutation"
        else:
            fn = getattr(estimator, "predict_proba", None) or estimator.predict
            values, base = _permutation(fn, X, background)
            kind = "permutation"
    outputs = values.shape[2]
    if classes is None:
        names = ["value"]
    elif outputs == 1:  # a binary model explained in one raw output: the positive class's
        names = [str(classes[-1])]
    else:
        names = [str(c) for c in classes][:outputs]
    return ShapExplanation(
        values=values,
        base_values=_as_base(base, outputs),
        data=X,
        feature_names=list(feature_names),
        output_names=names,
        explainer=kind,
        notes=notes,
    )


def explain_fitted(model: Any, X: np.ndarray) -> ShapExplanation:
    """SHAP values of feature rows ``X`` for a :class:`~fas_ray.ml.FittedModel`, against the
    background sample kept with it (``X`` itself for models saved without one; ensembles use
    at most 25 background rows, which keeps the per-member explainers fast)."""
    background = getattr(model, "background", None)
    if background is None:
        background = X
    if model.is_ensemble:
        background = background[:25]
    return explain_matrix(
        model.estimator,
        X,
        model.features.feature_names,
        background=background,
        classes=list(model.task.classes) if model.task.is_classification else None,
    )
