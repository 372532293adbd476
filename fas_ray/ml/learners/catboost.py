"""CatBoost gradient-boosted trees (symmetric trees, ordered boosting).

Strong with default settings on small and noisy tables, where it is a mainstay of AutoGluon's
portfolio. Category codes arrive as numbers (``FeatureBuilder``'s ordinal codes), like for the
other tree learners.
"""

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

__all__ = ["CatBoostLearner"]


class CatBoostLearner:
    name = "catboost"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "n_estimators": IntDomain(100, 3000, log=True),  # a cap: CV stops early
                "learning_rate": FloatDomain(0.01, 0.3, log=True),
                "depth": IntDomain(3, 10),
                "l2_leaf_reg": FloatDomain(1.0, 30.0, log=True),
                "random_strength": FloatDomain(0.1, 10.0, log=True),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """CatBoost's defaults (depth 6, L2 3, random strength 1), with 1,000 rounds at a
        fixed rate of 0.05 instead of its data-dependent automatic rate."""
        return balance_defaults(
            {
                "n_estimators": 1000,
                "learning_rate": 0.05,
                "depth": 6,
                "l2_leaf_reg": 3.0,
                "random_strength": 1.0,
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
        """A ``CatBoostClassifier`` / ``CatBoostRegressor`` (``device`` is ignored: CPU only;
        category codes are split as numbers)."""
        from catboost import CatBoostRegressor

        params, balanced = pop_balanced(params, task, balanced)
        common = dict(
            params,
            random_state=seed,
            thread_count=n_jobs if n_jobs > 0 else -1,
            verbose=False,
            allow_writing_files=False,
        )
        if task.is_classification:
            from fas_ray.ml.learners._catboost_models import FlatCatBoostClassifier

            weights = "Balanced" if balanced else None
            return FlatCatBoostClassifier(**common, auto_class_weights=weights)
        return CatBoostRegressor(**common)

    def fit_early_stopping(self, est: Any, X: Any, y: Any, X_valid: Any, y_valid: Any) -> int:
        """Fit with ``(X_valid, y_valid)`` as the early-stopping set (the model keeps its best
        round); the rounds kept."""
        classifier = hasattr(est, "predict_proba")
        if classifier and not labels_seen(y, y_valid):
            est.fit(X, y)
            return int(est.tree_count_)
        est.fit(X, y, eval_set=(X_valid, y_valid), early_stopping_rounds=EARLY_STOPPING_ROUNDS)
        return int(est.tree_count_)
