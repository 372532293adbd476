"""LightGBM gradient-boosted trees (leaf-wise growth)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from fas_ray.ml._space import Domain, FloatDomain, IntDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import (
    EARLY_STOPPING_ROUNDS,
    balance_defaults,
    balance_space,
    labels_seen,
    pop_balanced,
)

__all__ = ["LightGBMLearner"]


class LightGBMLearner:
    name = "lightgbm"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "n_estimators": IntDomain(50, 2000, log=True),  # a cap: CV stops early
                "learning_rate": FloatDomain(0.01, 0.3, log=True),
                "num_leaves": IntDomain(8, 256, log=True),
                "max_depth": IntDomain(3, 15),
                "min_child_samples": IntDomain(5, 100, log=True),
                "subsample": FloatDomain(0.6, 1.0),
                "colsample_bytree": FloatDomain(0.6, 1.0),
                "reg_alpha": FloatDomain(1e-8, 10.0, log=True),
                "reg_lambda": FloatDomain(1e-8, 10.0, log=True),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """LightGBM's defaults; ``max_depth`` 15 (the space's top) stands in for no limit."""
        return balance_defaults(
            {
                "n_estimators": 100,
                "learning_rate": 0.1,
                "num_leaves": 31,
                "max_depth": 15,
                "min_child_samples": 20,
                "subsample": 1.0,
                "colsample_bytree": 1.0,
                "reg_alpha": 1e-8,
                "reg_lambda": 1e-8,
            },
            task,
        )

    def make_estimator(
        self,
        params: dict[str, Any],
        task: TaskInfo,
        seed: int,
        n_jobs: int = 1,
        *,
        balanced: bool = False,
        device: str = "cpu",
        categorical: Sequence[int] = (),
    ) -> Any:
        """An ``LGBMClassifier`` / ``LGBMRegressor`` (``device`` is ignored: CPU only).

        ``categorical`` columns are split as categories (LightGBM's ``categorical_feature``,
        given by its alias ``cat_feature`` so that it is a constructor parameter that survives
        ``clone`` and pickling; a negative code, an unseen category, goes with the missing
        values).
        """
        import lightgbm as lgb

        params, balanced = pop_balanced(params, task, balanced)
        common = dict(params, subsample_freq=1, random_state=seed, n_jobs=n_jobs, verbosity=-1)
        if categorical:
            common["cat_feature"] = [int(i) for i in categorical]
        if task.is_classification:
            return lgb.LGBMClassifier(**common, class_weight="balanced" if balanced else None)
        return lgb.LGBMRegressor(**common)

    def fit_early_stopping(self, est: Any, X: Any, y: Any, X_valid: Any, y_valid: Any) -> int:
        """Fit with ``(X_valid, y_valid)`` as the early-stopping set; the rounds kept."""
        import lightgbm as lgb

        if est.__class__.__name__ == "LGBMClassifier" and not labels_seen(y, y_valid):
            est.fit(X, y)
            return int(est.n_estimators)
        stop = lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)
        if "eval_X" in inspect.signature(est.fit).parameters:  # LightGBM 4.7 on
            est.fit(X, y, eval_X=X_valid, eval_y=y_valid, callbacks=[stop])
        else:
            est.fit(X, y, eval_set=[(X_valid, y_valid)], callbacks=[stop])
        best = int(est.best_iteration_ or 0)
        return best if best > 0 else int(est.n_estimators)
