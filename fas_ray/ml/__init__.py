"""AutoML pieces that run without Ray: task detection, learners, search space, CV, metrics."""

from fas_ray.ml._cv import CVResult, cross_val_score, make_folds
from fas_ray.ml._metrics import classification_metrics, primary_metric, regression_metrics
from fas_ray.ml._model import FittedModel, fit_model
from fas_ray.ml._space import CategoricalDomain, Domain, FloatDomain, IntDomain, suggest_config
from fas_ray.ml._task import TaskInfo, detect_task
from fas_ray.ml.learners import LEARNERS, Learner, get_learner

__all__ = [
    "LEARNERS",
    "CVResult",
    "CategoricalDomain",
    "Domain",
    "FittedModel",
    "FloatDomain",
    "IntDomain",
    "Learner",
    "TaskInfo",
    "classification_metrics",
    "cross_val_score",
    "detect_task",
    "fit_model",
    "get_learner",
    "make_folds",
    "primary_metric",
    "regression_metrics",
    "suggest_config",
]
