"""SHAP values of a large sample, in parallel Ray tasks, equal the single-process values."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.distributed.explain import explain_parallel
from fas_ray.explain import explain_matrix
from fas_ray.ml import TaskInfo, get_learner

pytestmark = pytest.mark.integration


def test_parallel_shap_equals_one_process(ray_local: None) -> None:
    data = load_breast_cancer()
    task = TaskInfo("classification", "binary", "y", [0, 1])
    est = get_learner("lightgbm").make_estimator({"n_estimators": 30}, task, seed=0)
    est.fit(data.data, data.target)
    names = list(data.feature_names)
    together = explain_matrix(est, data.data, names, classes=[0, 1])
    split = explain_parallel(est, data.data, names, classes=[0, 1], chunk_rows=150)
    assert split.values.shape == together.values.shape == (569, 30, 1)
    np.testing.assert_allclose(split.values, together.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(split.base_values, together.base_values)
    assert "4 Ray tasks" in split.notes[-1]
    # where they ran: one node here, 4 chunks on it (the two-node e2e run spreads them)
    assert re.search(r"by node: 4 on [0-9a-f]{12}\)$", split.notes[-1]), split.notes[-1]
