"""AutoML pieces that run without Ray: task detection, learners, search space, CV, metrics,
ensembling and calibration."""

from fas_ray.ml._calibrate import Calibrator, fit_calibrator
from fas_ray.ml._cv import CVResult, cross_val_score, make_folds
from fas_ray.ml._ensemble import EnsembleResult, VotingEnsemble, caruana_ensemble, ensemble_predict
from fas_ray.ml._metrics import (
    check_metric,
    classification_metrics,
    objective_name,
    primary_metric,
    regression_metrics,
)
from fas_ray.ml._model import FittedModel, fit_ensemble, fit_model
from fas_ray.ml._portfolio import portfolio
from fas_ray.ml._schema import (
    FieldError,
    check_frame,
    check_records,
    input_schema,
    normalise_records,
)
from fas_ray.ml._space import (
    CategoricalDomain,
    Domain,
    FloatDomain,
    IntDomain,
    default_config,
    suggest_config,
)
from fas_ray.ml._task import TaskInfo, detect_task, detect_task_from_frame
from fas_ray.ml.learners import LEARNERS, Learner, get_learner

__all__ = [
    "LEARNERS",
    "CVResult",
    "Calibrator",
    "CategoricalDomain",
    "Domain",
    "EnsembleResult",
    "FieldError",
    "FittedModel",
    "FloatDomain",
    "IntDomain",
    "Learner",
    "TaskInfo",
    "VotingEnsemble",
    "caruana_ensemble",
    "check_metric",
    "check_frame",
    "check_records",
    "classification_metrics",
    "cross_val_score",
    "default_config",
    "detect_task",
    "detect_task_from_frame",
    "ensemble_predict",
    "fit_calibrator",
    "fit_ensemble",
    "fit_model",
    "get_learner",
    "input_schema",
    "make_folds",
    "normalise_records",
    "objective_name",
    "portfolio",
    "primary_metric",
    "regression_metrics",
    "suggest_config",
]
