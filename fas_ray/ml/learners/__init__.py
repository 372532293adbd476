"""Learners: one module each, each declaring its search space and config → estimator mapping."""

from __future__ import annotations

from fas_ray.exceptions import ConfigError
from fas_ray.ml.learners._base import Learner
from fas_ray.ml.learners.catboost import CatBoostLearner
from fas_ray.ml.learners.extra_trees import ExtraTreesLearner
from fas_ray.ml.learners.knn import KNNLearner
from fas_ray.ml.learners.lightgbm import LightGBMLearner
from fas_ray.ml.learners.linear import LinearLearner
from fas_ray.ml.learners.mlp import MLPLearner
from fas_ray.ml.learners.random_forest import RandomForestLearner
from fas_ray.ml.learners.xgboost import XGBoostLearner

__all__ = ["LEARNERS", "Learner", "get_learner"]

LEARNERS: dict[str, Learner] = {
    learner.name: learner
    for learner in (
        LightGBMLearner(),
        XGBoostLearner(),
        RandomForestLearner(),
        ExtraTreesLearner(),
        LinearLearner(),
        CatBoostLearner(),
        MLPLearner(),
        KNNLearner(),
    )
}


def get_learner(name: str) -> Learner:
    """The learner called ``name``."""
    try:
        return LEARNERS[name]
    except KeyError:
        raise ConfigError(
            f"Unknown learner '{name}'; choose from: {', '.join(sorted(LEARNERS))}."
        ) from None
