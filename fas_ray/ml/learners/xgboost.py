"""XGBoost gradient-boosted trees (histogram method)."""

from __future__ import annotations

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

__all__ = ["XGBoostLearner"]


class XGBoostLearner:
    name = "xgboost"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "n_estimators": IntDomain(50, 2000, log=True),  # a cap: CV stops early
                "learning_rate": FloatDomain(0.01, 0.3, log=True),
                "max_depth": IntDomain(3, 15),
                "min_child_weight": FloatDomain(0.01, 10.0, log=True),
                "gamma": FloatDomain(1e-8, 1.0, log=True),
                "subsample": FloatDomain(0.6, 1.0),
                "colsample_bytree": FloatDomain(0.6, 1.0),
                "reg_alpha": FloatDomain(1e-8, 10.0, log=True),
                "reg_lambda": FloatDomain(1e-3, 10.0, log=True),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """XGBoost's defaults (zero ``gamma`` / ``reg_alpha`` as the space's 1e-8 floor)."""
        return balance_defaults(
            {
                "n_estimators": 100,
                "learning_rate": 0.3,
                "max_depth": 6,
                "min_child_weight": 1.0,
                "gamma": 1e-8,
                "subsample": 1.0,
                "colsample_bytree": 1.0,
                "reg_alpha": 1e-8,
                "reg_lambda": 1.0,
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
        """An ``XGBClassifier`` / ``XGBRegressor``; ``device="cuda"`` trains on the GPU.

        Balanced classifiers get inverse-frequency sample weights at ``fit`` (binary and
        multiclass alike, the multiclass form of ``scale_pos_weight``). Category codes are split
        as numbers.
        """
        import xgboost as xgb

        params, balanced = pop_balanced(params, task, balanced)
        common = dict(
            params,
            tree_method="hist",
            device=device,
            random_state=seed,
            n_jobs=n_jobs,
            verbosity=0,
        )
        if task.is_classification:
            if balanced:
                from fas_ray.ml.learners._xgboost_balanced import BalancedXGBClassifier

                return BalancedXGBClassifier(**common)
            return xgb.XGBClassifier(**common)
        return xgb.XGBRegressor(**common)

    def fit_early_stopping(self, est: Any, X: Any, y: Any, X_valid: Any, y_valid: Any) -> int:
        """Fit with ``(X_valid, y_valid)`` as the early-stopping set; the rounds kept."""
        if hasattr(est, "predict_proba") and not labels_seen(y, y_valid):
            est.fit(X, y)
            return int(est.n_estimators)
        est.set_params(early_stopping_rounds=EARLY_STOPPING_ROUNDS)
        est.fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
        best = getattr(est, "best_iteration", None)
        return int(best) + 1 if best is not None else int(est.n_estimators)
