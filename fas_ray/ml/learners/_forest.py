"""What random forests and extra-trees share: the space, the defaults, the mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from fas_ray.ml._space import CategoricalDomain, Domain, IntDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import balance_defaults, balance_space, pop_balanced

__all__ = ["ForestLearner"]


class ForestLearner:
    """Base of the scikit-learn forests; subclasses name the estimator classes."""

    name: str
    classifier: ClassVar[str]  # class names in sklearn.ensemble
    regressor: ClassVar[str]
    bootstrap_default: ClassVar[bool]

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "n_estimators": IntDomain(50, 500),
                "max_depth": IntDomain(3, 30),  # 30 ~ unlimited on the data sizes here
                "max_features": CategoricalDomain(("sqrt", "log2", 0.3, 0.5, 0.7, 1.0)),
                "min_samples_leaf": IntDomain(1, 20, log=True),
                "bootstrap": CategoricalDomain((True, False)),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """scikit-learn's defaults (``max_depth`` 30 for ``None``)."""
        regression = task is not None and task.kind == "regression"
        return balance_defaults(
            {
                "n_estimators": 100,
                "max_depth": 30,
                "max_features": 1.0 if regression else "sqrt",
                "min_samples_leaf": 1,
                "bootstrap": self.bootstrap_default,
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
        """The forest for ``task`` (``device`` is ignored: CPU only; category codes are split
        as numbers)."""
        from sklearn import ensemble

        params, balanced = pop_balanced(params, task, balanced)
        common = dict(params, random_state=seed, n_jobs=n_jobs)
        if task.is_classification:
            cls = getattr(ensemble, self.classifier)
            return cls(**common, class_weight="balanced" if balanced else None)
        return getattr(ensemble, self.regressor)(**common)
