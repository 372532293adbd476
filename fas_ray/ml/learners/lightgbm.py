"""LightGBM gradient-boosted trees."""

from __future__ import annotations

from typing import Any

from fas_ray.ml._space import Domain, FloatDomain, IntDomain
from fas_ray.ml._task import TaskInfo

__all__ = ["LightGBMLearner"]


class LightGBMLearner:
    name = "lightgbm"

    def search_space(self) -> dict[str, Domain]:
        return {
            "n_estimators": IntDomain(50, 500),
            "learning_rate": FloatDomain(0.01, 0.3, log=True),
            "num_leaves": IntDomain(8, 256, log=True),
            "max_depth": IntDomain(3, 15),
            "min_child_samples": IntDomain(5, 100, log=True),
            "subsample": FloatDomain(0.6, 1.0),
            "colsample_bytree": FloatDomain(0.6, 1.0),
            "reg_lambda": FloatDomain(1e-3, 10.0, log=True),
        }

    def make_estimator(
        self, params: dict[str, Any], task: TaskInfo, seed: int, n_jobs: int = 1
    ) -> Any:
        import lightgbm as lgb

        common = dict(params, subsample_freq=1, random_state=seed, n_jobs=n_jobs, verbosity=-1)
        if task.is_classification:
            return lgb.LGBMClassifier(**common)
        return lgb.LGBMRegressor(**common)
