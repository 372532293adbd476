"""SHAP importance for the models fas-ray trains (tree and linear)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from fas_ray.explain import FeatureImportance, shap_importance
from fas_ray.ml import TaskInfo, get_learner

REGRESSION = TaskInfo("regression", "regression", "y")
MULTICLASS = TaskInfo("classification", "multiclass", "y", [0, 1, 2])
BINARY = TaskInfo("classification", "binary", "y", [0, 1])


def _fit(learner: str, params: dict[str, Any], task: TaskInfo, X: np.ndarray, y: np.ndarray) -> Any:
    return get_learner(learner).make_estimator(params, task, seed=0, n_jobs=1).fit(X, y)


def _check_shape(result: list[FeatureImportance], names: list[str]) -> None:
    assert 0 < len(result) <= 20
    assert len({r.feature for r in result}) == len(result)
    assert {r.feature for r in result} <= set(names)
    values = [r.importance for r in result]
    assert values == sorted(values, reverse=True)
    assert all(v >= 0.0 and np.isfinite(v) for v in values)


@pytest.fixture(scope="module")
def diabetes() -> Any:
    return load_diabetes()


def test_lightgbm_regressor_on_diabetes(diabetes: Any) -> None:
    est = _fit("lightgbm", {"n_estimators": 50}, REGRESSION, diabetes.data, diabetes.target)
    names = list(diabetes.feature_names)
    result = shap_importance(est, diabetes.data, names, seed=0)
    _check_shape(result, names)
    assert len(result) == 10
    # stable over seeds: s5 leads, bmi second (mean |SHAP| about 29 and 22, the next below 9)
    assert result[0].feature in {"bmi", "s5"}
    assert {r.feature for r in result[:2]} == {"bmi", "s5"}
    assert result[1].importance > 2 * result[2].importance


def test_random_forest_classifier_on_iris() -> None:
    iris = load_iris()
    est = _fit("random_forest", {"n_estimators": 30}, MULTICLASS, iris.data, iris.target)
    names = list(iris.feature_names)
    result = shap_importance(est, iris.data, names, seed=0)
    _check_shape(result, names)
    assert len(result) == 4
    assert {r.feature for r in result[:2]} == {"petal length (cm)", "petal width (cm)"}


def test_linear_pipeline_on_diabetes(diabetes: Any) -> None:
    est = _fit("linear", {"regularization": 1.0}, REGRESSION, diabetes.data, diabetes.target)
    names = list(diabetes.feature_names)
    result = shap_importance(est, diabetes.data, names, seed=0)
    _check_shape(result, names)
    assert result[0].feature == "s5"
    assert "bmi" in {r.feature for r in result[:3]}


def test_linear_pipeline_on_iris() -> None:
    iris = load_iris()
    est = _fit("linear", {"regularization": 1.0}, MULTICLASS, iris.data, iris.target)
    result = shap_importance(est, iris.data, list(iris.feature_names), seed=0)
    _check_shape(result, list(iris.feature_names))
    assert result[0].feature.startswith("petal")


def test_top_limits_and_sampling_is_seeded() -> None:
    data = load_breast_cancer()
    X, y = data.data[:200], data.target[:200]
    est = _fit("random_forest", {"n_estimators": 20, "max_depth": 4}, BINARY, X, y)
    names = list(data.feature_names)
    result = shap_importance(est, X, names, sample=50, seed=1)
    _check_shape(result, names)
    assert len(result) == 20  # 30 features, top 20
    assert shap_importance(est, X, names, sample=50, seed=1) == result
    assert len(shap_importance(est, X, names, top=3, sample=50, seed=1)) == 3


def test_ensemble_importance_is_the_weighted_share_of_its_members() -> None:
    from fas_ray.ml import VotingEnsemble

    data = load_breast_cancer()
    names = list(data.feature_names)
    tree = _fit("lightgbm", {"n_estimators": 40}, BINARY, data.data, data.target)
    defaults = get_learner("linear").default_params(BINARY)
    linear = _fit("linear", defaults, BINARY, data.data, data.target)
    alone = {r.feature: r.importance for r in shap_importance(tree, data.data, names, top=30)}
    only_tree = VotingEnsemble([tree, linear], [1.0, 0.0], n_classes=2)
    shares = {r.feature: r.importance for r in shap_importance(only_tree, data.data, names, top=30)}
    total = sum(alone.values())
    assert shares == pytest.approx({k: v / total for k, v in alone.items()})  # weight 0: unused
    mixed = shap_importance(VotingEnsemble([tree, linear], [0.5, 0.5], 2), data.data, names)
    _check_shape(mixed, names)
    assert sum(r.importance for r in mixed) <= 1.0 + 1e-9
