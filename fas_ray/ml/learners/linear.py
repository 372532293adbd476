"""Linear models on standardised features: logistic regression or ridge regression."""

from __future__ import annotations

from typing import Any

from fas_ray.ml._space import Domain, FloatDomain
from fas_ray.ml._task import TaskInfo

__all__ = ["LinearLearner"]


class LinearLearner:
    name = "linear"

    def search_space(self) -> dict[str, Domain]:
        return {"regularization": FloatDomain(1e-4, 1e3, log=True)}

    def make_estimator(
        self, params: dict[str, Any], task: TaskInfo, seed: int, n_jobs: int = 1
    ) -> Any:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        strength = float(params["regularization"])
        if task.is_classification:
            model: Any = LogisticRegression(C=1.0 / strength, max_iter=2000, random_state=seed)
        else:
            model = Ridge(alpha=strength, random_state=seed)
        return make_pipeline(StandardScaler(), model)
