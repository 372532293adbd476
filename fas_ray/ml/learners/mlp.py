"""A multi-layer perceptron on standardised features (scikit-learn's ``MLPClassifier`` /
``MLPRegressor``: Adam, at most 200 epochs, stopping when the training loss stops falling).

Neural networks see the data differently from trees (smooth functions of every feature at
once), so they add what the tree learners lack to an ensemble, as AutoGluon's tabular networks
do. Category codes are one-hot encoded, as for the linear learner; a regression target is
standardised while fitting (networks train badly on targets in the hundred thousands).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fas_ray.ml._space import Domain, FloatDomain, IntDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import balance_defaults, balance_space, pop_balanced
from fas_ray.ml.learners.linear import encoded_and_scaled

__all__ = ["MLPLearner"]


class MLPLearner:
    """``width`` units in each of ``depth`` hidden layers (ReLU); ``alpha`` is the L2 penalty."""

    name = "mlp"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space(
            {
                "width": IntDomain(16, 512, log=True),
                "depth": IntDomain(1, 3),
                "alpha": FloatDomain(1e-6, 1.0, log=True),
                "learning_rate_init": FloatDomain(1e-4, 3e-2, log=True),
            },
            task,
        )

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """One hidden layer of 128 units, a firm penalty (a network overfits small tables
        first), scikit-learn's default rate."""
        return balance_defaults(
            {"width": 128, "depth": 1, "alpha": 0.1, "learning_rate_init": 1e-3}, task
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
        """The network after one-hot encoding and scaling (``device`` and ``n_jobs`` are
        ignored: scikit-learn's network runs on the CPU, with NumPy's threads)."""
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        from fas_ray.ml.learners._mlp_models import (
            BalancedMLPClassifier,
            CappedMLPClassifier,
            CappedMLPRegressor,
        )

        params, balanced = pop_balanced(params, task, balanced)
        common = dict(
            hidden_layer_sizes=(int(params["width"]),) * int(params["depth"]),
            alpha=float(params["alpha"]),
            learning_rate_init=float(params["learning_rate_init"]),
            max_iter=200,
            n_iter_no_change=10,
            random_state=seed,
        )
        if task.is_classification:
            cls = BalancedMLPClassifier if balanced else CappedMLPClassifier
            model: Any = cls(**common)
        else:
            model = TransformedTargetRegressor(
                regressor=CappedMLPRegressor(**common), transformer=StandardScaler()
            )
        return encoded_and_scaled(model, categorical)
