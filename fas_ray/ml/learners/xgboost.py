"""XGBoost gradient-boosted trees (histogram method)."""

from __future__ import annotations

from typing import Any

from fas_ray.ml._space import Domain, FloatDomain, IntDomain
from fas_ray.ml._task import TaskInfo

__all__ = ["XGBoostLearner"]


class XGBoostLearner:
    name = "xgboost"

    def search_space(self) -> dict[str, Domain]:
        return {
            "n_estimators": IntDomain(50, 500),
            "learning_rate": FloatDomain(0.01, 0.3, log=True),
            "max_depth": IntDomain(3, 15),
            "min_child_weight": FloatDomain(0.01, 10.0, log=True),
            "subsample": FloatDomain(0.6, 1.0),
            "colsample_bytree": FloatDomain(0.6, 1.0),
            "reg_lambda": FloatDomain(1e-3, 10.0, log=True),
        }

    def make_estimator(
        self, params: dict[str, Any], task: TaskInfo, seed: int, n_jobs: int = 1
    ) -> Any:
        import xgboost as xgb

        common = dict(params, tree_method="hist", random_state=seed, n_jobs=n_jobs, verbosity=0)
        if task.is_classification:
            return xgb.XGBClassifier(**common)
        return xgb.XGBRegressor(**common)
