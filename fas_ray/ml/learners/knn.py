"""k nearest neighbours, on the raw features or after one-hot encoding and scaling.

Neighbours see the data as distances between whole rows, an error pattern unlike the trees'
and the linear model's, so they add to an ensemble what those lack (AutoGluon's portfolio has
two k-NN models for this reason): on pixel-like features, where every column has one scale,
the raw distances are the strong ones; on columns of different units, scaling makes them
comparable. ``scale`` picks one; category codes are one-hot encoded only when scaling. The
models keep at most ``MAX_ROWS`` training rows, so their prediction cost stays bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fas_ray.ml._space import CategoricalDomain, Domain, IntDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import balance_defaults, balance_space, pop_balanced
from fas_ray.ml.learners.linear import encoded_and_scaled

__all__ = ["MAX_ROWS", "KNNLearner"]

MAX_ROWS = 20_000  # training rows a fitted model keeps (a seeded sample beyond that)


class KNNLearner:
    """``n_neighbors`` neighbours vote, equally or (``weights="distance"``) by closeness."""

    name = "knn"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "n_neighbors": IntDomain(2, 64, log=True),
                "weights": CategoricalDomain(("uniform", "distance")),
                "scale": CategoricalDomain((True, False)),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """Ten neighbours weighted by closeness, on scaled features."""
        return balance_defaults({"n_neighbors": 10, "weights": "distance", "scale": True}, task)

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
        """The neighbours model, after one-hot encoding and scaling when ``scale`` (``device``
        is ignored: CPU only; ``seed`` picks the rows kept beyond ``MAX_ROWS``)."""
        from fas_ray.ml.learners._knn_models import (
            BalancedKNNClassifier,
            CappedKNNClassifier,
            CappedKNNRegressor,
        )

        params, balanced = pop_balanced(params, task, balanced)
        common: dict[str, Any] = dict(
            n_neighbors=int(params["n_neighbors"]),
            weights=str(params["weights"]),
            max_rows=MAX_ROWS,
            random_state=seed,
            n_jobs=n_jobs,
        )
        if task.is_classification:
            cls = BalancedKNNClassifier if balanced else CappedKNNClassifier
            model: Any = cls(**common)
        else:
            model = CappedKNNRegressor(**common)
        return encoded_and_scaled(model, categorical) if params["scale"] else model
