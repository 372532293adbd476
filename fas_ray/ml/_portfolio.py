"""A portfolio of configurations that are strong across data sets, tried before TPE samples.

Like AutoGluon's hand-picked model list and FLAML's low-cost starting points: a search that
first evaluates a few configurations known to do well on most tabular data has a good model
within seconds, and TPE then refines around the best of them. The portfolio is ordered by
cost (cheap first), so a short budget still completes the first few.

The boosting configurations have a high ``n_estimators``: it is a cap, since the CV loop stops
boosting early on each validation fold (see :func:`~fas_ray.ml._cv.run_folds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fas_ray.ml._space import default_config
from fas_ray.ml._task import TaskInfo

__all__ = ["portfolio"]

# (learner, params over the learner's defaults); every value lies inside the learner's space
_PORTFOLIO: tuple[tuple[str, dict[str, Any]], ...] = (
    (  # LightGBM with a moderate rate: the strongest single default on most tables
        "lightgbm",
        {
            "n_estimators": 2000,
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
        },
    ),
    ("linear", {}),
    ("knn", {}),  # neighbours on scaled features, and on the raw ones (one-scale columns)
    ("knn", {"n_neighbors": 5, "scale": False}),
    ("mlp", {}),  # a network: what trees lack, for the ensemble
    ("extra_trees", {"n_estimators": 300}),
    (  # XGBoost, depth-wise trees
        "xgboost",
        {
            "n_estimators": 2000,
            "learning_rate": 0.05,
            "max_depth": 6,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
        },
    ),
    ("random_forest", {"n_estimators": 300}),
    ("catboost", {"n_estimators": 2000, "learning_rate": 0.05, "depth": 6}),
    (  # small trees, strong leaves: small or noisy data
        "lightgbm",
        {
            "n_estimators": 2000,
            "learning_rate": 0.03,
            "num_leaves": 8,
            "max_depth": 4,
            "min_child_samples": 10,
            "colsample_bytree": 0.7,
            "reg_lambda": 1.0,
        },
    ),
    (  # large trees (AutoGluon's "GBMLarge")
        "lightgbm",
        {
            "n_estimators": 2000,
            "learning_rate": 0.03,
            "num_leaves": 128,
            "min_child_samples": 5,
            "colsample_bytree": 0.9,
        },
    ),
)


def portfolio(learners: Sequence[str], task: TaskInfo | None = None) -> list[dict[str, Any]]:
    """The portfolio's flat configurations (``{"learner": ..., "<learner>.<param>": ...}``)
    for the allowed ``learners``, cheapest first; each is the learner's defaults updated with
    the portfolio's values, so it always lies in the learner's space for ``task``.

    Example:
        >>> portfolio(["linear"])
        [{'learner': 'linear', 'linear.regularization': 1.0}]
    """
    out: list[dict[str, Any]] = []
    for learner, params in _PORTFOLIO:
        if learner not in learners:
            continue
        config = default_config(learner, task)
        config.update({f"{learner}.{k}": v for k, v in params.items()})
        if config not in out:
            out.append(config)
    return out
