"""SHAP values: additivity for tree models, shapes for every task, per-row explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from fas_ray.explain import explain_matrix
from fas_ray.ml import TaskInfo, VotingEnsemble, get_learner

REGRESSION = TaskInfo("regression", "regression", "y")
MULTICLASS = TaskInfo("classification", "multiclass", "y", [0, 1, 2])
BINARY = TaskInfo("classification", "binary", "y", [0, 1])
DATA = {
    "binary": (load_breast_cancer, BINARY),
    "multiclass": (load_iris, MULTICLASS),
    "regression": (load_diabetes, REGRESSION),
}


def _fit(learner: str, params: dict[str, Any], task: TaskInfo, X: np.ndarray, y: np.ndarray) -> Any:
    return get_learner(learner).make_estimator(params, task, seed=0, n_jobs=1).fit(X, y)


def _raw(est: Any, X: np.ndarray, learner: str) -> np.ndarray:
    """The output TreeExplainer explains: raw scores for boosting, probabilities for forests."""
    if learner == "lightgbm":
        out = est.predict(X, raw_score=True)
    elif learner == "xgboost":
        out = est.predict(X, output_margin=True)
    elif learner == "catboost":
        out = est.predict(X, prediction_type="RawFormulaVal")
    elif hasattr(est, "predict_proba"):
        out = est.predict_proba(X)
    else:
        out = est.predict(X)
    out = np.asarray(out, dtype=np.float64)
    return out[:, None] if out.ndim == 1 else out


@pytest.mark.parametrize(
    "learner", ["lightgbm", "xgboost", "catboost", "random_forest", "extra_trees"]
)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_tree_shap_values_add_up_to_the_model_output(learner: str, kind: str) -> None:
    loader, task = DATA[kind]
    data = loader()
    X, y = data.data[:300], data.target[:300]
    est = _fit(learner, {"n_estimators": 30}, task, X, y)
    rows = X[:40]
    names = [str(n) for n in data.feature_names]
    classes = None if kind == "regression" else list(task.classes)
    explanation = explain_matrix(est, rows, names, classes=classes)
    assert explanation.explainer == "tree"
    raw = _raw(est, rows, learner)
    assert explanation.values.shape == (40, X.shape[1], raw.shape[1])
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, raw, rtol=1e-4, atol=1e-4)
    one = explanation.row(3)
    assert one["prediction"] == pytest.approx(
        raw[3, explanation.output_index()], rel=1e-4, abs=1e-4
    )
    shaps = [abs(c["shap"]) for c in one["contributions"]]
    assert shaps == sorted(shaps, reverse=True) and len(shaps) == min(20, X.shape[1])


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_an_ensemble_is_explained_in_its_own_output_and_adds_up(kind: str) -> None:
    loader, task = DATA[kind]
    data = loader()
    X, y = data.data[:300], data.target[:300]
    members = [
        _fit("lightgbm", {"n_estimators": 20}, task, X, y),
        _fit("extra_trees", {"n_estimators": 20}, task, X, y),
        _fit("xgboost", {"n_estimators": 20}, task, X, y),
        _fit("linear", {"regularization": 1.0}, task, X, y),
    ]
    n_classes = None if kind == "regression" else len(task.classes)
    ensemble = VotingEnsemble(members, [0.4, 0.3, 0.2, 0.1], n_classes=n_classes)
    rows = X[:8]
    classes = None if kind == "regression" else list(task.classes)
    explanation = explain_matrix(
        ensemble, rows, [str(n) for n in data.feature_names], background=X[:25], classes=classes
    )
    assert explanation.explainer == "ensemble"
    expected = (
        ensemble.predict(rows)[:, None] if n_classes is None else ensemble.predict_proba(rows)
    )
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, expected, atol=1e-5)


def test_an_ensemble_explanation_summarises_the_positive_class() -> None:
    data = load_breast_cancer()
    X, y = data.data[:200], data.target[:200]
    members = [
        _fit("lightgbm", {"n_estimators": 20}, BINARY, X, y),
        _fit("linear", {"regularization": 1.0}, BINARY, X, y),
    ]
    ensemble = VotingEnsemble(members, [0.5, 0.5], n_classes=2)
    rows = X[:5]
    explanation = explain_matrix(
        ensemble, rows, list(data.feature_names), background=X[:50], classes=[0, 1]
    )
    assert explanation.explainer == "ensemble"
    assert explanation.values.shape == (5, 30, 2)
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, ensemble.predict_proba(rows), atol=1e-6)
    summary = explanation.to_json(top=5)
    assert summary["output"] == "1" and len(summary["importance"]) == 5
    first = summary["importance"][0]["feature"]
    assert len(summary["beeswarm"][first]["shap"]) == 5


def test_linear_model_is_explained_exactly_in_its_scaled_space() -> None:
    data = load_diabetes()
    est = _fit("linear", {"regularization": 1.0}, REGRESSION, data.data, data.target)
    rows = data.data[:10]
    explanation = explain_matrix(est, rows, list(data.feature_names), background=data.data)
    assert explanation.explainer == "linear" and explanation.output_names == ["value"]
    total = explanation.values.sum(axis=1)[:, 0] + explanation.base_values[0]
    np.testing.assert_allclose(total, est.predict(rows), rtol=1e-6)
