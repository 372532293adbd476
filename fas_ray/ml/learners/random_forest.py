"""scikit-learn random forest."""

from __future__ import annotations

from typing import Any

from fas_ray.ml._space import CategoricalDomain, Domain, IntDomain
from fas_ray.ml._task import TaskInfo

__all__ = ["RandomForestLearner"]


class RandomForestLearner:
    name = "random_forest"

    def search_space(self) -> dict[str, Domain]:
        return {
            "n_estimators": IntDomain(50, 500),
            "max_depth": IntDomain(3, 15),
            "max_features": CategoricalDomain(("sqrt", "log2", 0.5, 1.0)),
            "min_samples_leaf": IntDomain(1, 10),
        }

    def make_estimator(
        self, params: dict[str, Any], task: TaskInfo, seed: int, n_jobs: int = 1
    ) -> Any:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        common = dict(params, random_state=seed, n_jobs=n_jobs)
        if task.is_classification:
            return RandomForestClassifier(**common)
        return RandomForestRegressor(**common)
