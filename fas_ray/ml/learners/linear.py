"""Linear models on standardised features: logistic regression or ridge regression."""

from __future__ import annotations

from typing import Any

from fas_ray.ml._space import Domain, FloatDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import balance_defaults, balance_space, pop_balanced

__all__ = ["LinearLearner"]


class LinearLearner:
    """``regularization`` is ``1 / C`` for logistic regression and ``alpha`` for ridge."""

    name = "linear"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space({"regularization": FloatDomain(1e-4, 1e3, log=True)}, task)

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """``C = 1`` / ``alpha = 1``, scikit-learn's defaults."""
        return balance_defaults({"regularization": 1.0}, task)

    def make_estimator(
        self,
        params: dict[str, Any],
        task: TaskInfo,
        seed: int,
        n_jobs: int = 1,
        *,
        balanced: bool = False,
        device: str = "cpu",
    ) -> Any:
        """A ``StandardScaler`` + model pipeline (``device`` is ignored: CPU only)."""
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        params, balanced = pop_balanced(params, task, balanced)
        strength = float(params["regularization"])
        if task.is_classification:
            model: Any = LogisticRegression(
                C=1.0 / strength,
                max_iter=2000,
                random_state=seed,
                class_weight="balanced" if balanced else None,
            )
        else:
            model = Ridge(alpha=strength, random_state=seed)
        return make_pipeline(StandardScaler(), model)
