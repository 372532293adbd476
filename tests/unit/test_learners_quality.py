"""Learners' defaults are competitive on small classic data; balancing helps the rare class.

Floors sit a little below what the defaults score (fixed seeds, fixed folds), so a learner
that stops learning — a broken mapping, a dropped parameter — fails here, not in production.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_classification

from fas_ray.ml import LEARNERS, TaskInfo, cross_val_score, make_folds

TASKS = {
    "binary": TaskInfo("classification", "binary", "y", [0, 1]),
    "multiclass": TaskInfo("classification", "multiclass", "y", [0, 1, 2]),
    "regression": TaskInfo("regression", "regression", "y"),
}
# primary metric floors: ROC-AUC on breast cancer, accuracy on wine, R² on diabetes
FLOORS = {"binary": 0.98, "multiclass": 0.93, "regression": 0.25}


@cache
def _data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    loader = {"binary": load_breast_cancer, "multiclass": load_wine, "regression": load_diabetes}
    data: Any = loader[kind]()
    return data.data, data.target


@pytest.mark.parametrize("kind", sorted(TASKS))
@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_default_params_are_competitive(name: str, kind: str) -> None:
    X, y = _data(kind)
    task = TASKS[kind]
    folds = make_folds(task, y, 3, seed=0)
    params = LEARNERS[name].default_params(task)
    metric = "accuracy" if kind == "multiclass" else None  # the floors' metrics
    result = cross_val_score(name, params, X, y, task, folds, seed=0, metric=metric)
    assert result.mean >= FLOORS[kind], f"{name} on {kind}: {result.mean:.4f}"


@cache
def _imbalanced() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=600,
        n_features=8,
        n_informative=4,
        weights=[0.92],
        flip_y=0.02,
        class_sep=0.8,
        random_state=0,
    )


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_balanced_weights_favour_the_rare_class(name: str) -> None:
    X, y = _imbalanced()
    task = TaskInfo("classification", "binary", "y", [0, 1], imbalanced=True)
    learner = LEARNERS[name]
    params = learner.default_params(task)
    assert params.get("balanced") is False
    if "min_samples_leaf" in params:  # pure leaves would ignore class weights
        params["min_samples_leaf"] = 10
    train, test = slice(0, 400), slice(400, None)
    shares = []
    for balanced in (False, True):
        est = learner.make_estimator({**params, "balanced": balanced}, task, 0)
        est.fit(X[train], y[train])
        shares.append(float(np.asarray(est.predict_proba(X[test]))[:, 1].mean()))
    assert shares[1] > 1.2 * shares[0], shares
