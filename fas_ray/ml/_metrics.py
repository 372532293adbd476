"""Evaluation metrics, and the objective the search maximises.

A search always maximises: for a loss (``log_loss``, ``rmse``, ...) it maximises the negated
loss, named ``neg_<loss>`` as in scikit-learn (:func:`objective_name`), so a leaderboard's
scores are "higher is better" whatever metric was chosen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

from fas_ray.exceptions import ConfigError
from fas_ray.ml._task import TaskInfo

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "check_metric",
    "classification_metrics",
    "greater_is_better",
    "metric_score",
    "objective_name",
    "primary_metric",
    "regression_metrics",
    "score",
]

LOSSES = frozenset({"log_loss", "mse", "rmse", "mae"})  # lower is better
CLASSIFICATION_METRICS = ("roc_auc", "log_loss", "accuracy", "f1_weighted")
REGRESSION_METRICS = ("r2", "rmse", "mse", "mae")


def primary_metric(task: TaskInfo) -> str:
    """The default metric: ROC-AUC (binary), log-loss (multiclass), R² (regression).

    Multiclass uses log-loss rather than accuracy: on small separable sets hundreds of
    configurations tie at accuracy 1.0, and log-loss still tells them apart.
    """
    if task.subtype == "binary":
        return "roc_auc"
    if task.subtype == "multiclass":
        return "log_loss"
    return "r2"


def check_metric(metric: str | None, task: TaskInfo) -> str:
    """``metric`` (default: :func:`primary_metric`) if it suits ``task``.

    Raises:
        ConfigError: an unknown metric, or one for another kind of task.
    """
    if metric is None or metric == "":
        return primary_metric(task)
    allowed: tuple[str, ...] = (
        CLASSIFICATION_METRICS if task.is_classification else REGRESSION_METRICS
    )
    if task.subtype == "multiclass":
        allowed = tuple(m for m in allowed if m != "roc_auc")
    if metric not in allowed:
        raise ConfigError(
            f"The metric '{metric}' does not fit a {task.subtype} task; choose one of: "
            f"{', '.join(allowed)}."
        )
    return metric


def objective_name(metric: str) -> str:
    """The name of what the search maximises: ``metric``, or ``neg_<metric>`` for a loss."""
    return f"neg_{metric}" if metric in LOSSES else metric


def score(
    task: TaskInfo,
    y_true: np.ndarray,
    pred: np.ndarray | None,
    proba: np.ndarray | None,
    metric: str | None = None,
) -> float:
    """The search objective (higher is better) for encoded labels (classification) or values
    (regression): ``metric`` (default: the task's primary metric), negated for a loss.

    ``proba`` must have one column per class ``0..k-1`` (see
    :func:`~fas_ray.ml._cv.full_proba`).
    """
    name = metric or primary_metric(task)
    value = metric_score(name, y_true, pred, proba)
    return -value if name in LOSSES else value


def greater_is_better(metric: str) -> bool:
    """False for losses (``log_loss``, ``mse``, ``rmse``, ``mae``), True for scores (and
    for negated losses, ``neg_log_loss``)."""
    return metric not in LOSSES


def metric_score(
    metric: str, y_true: np.ndarray, pred: np.ndarray | None, proba: np.ndarray | None
) -> float:
    """One named metric: encoded labels and class probabilities, or regression values in ``pred``.

    Classification metrics that need labels take ``argmax(proba)`` when ``pred`` is None.
    """
    if metric in ("roc_auc", "log_loss"):
        if proba is None:
            raise ValueError(f"{metric} needs class probabilities")
        if metric == "log_loss":
            return _log_loss(y_true, proba)
        if proba.shape[1] == 2:
            return float(skm.roc_auc_score(y_true, proba[:, 1]))
        return float(skm.roc_auc_score(y_true, proba, multi_class="ovr"))
    if pred is None:
        if proba is None:
            raise ValueError(f"{metric} needs predictions or class probabilities")
        pred = np.argmax(proba, axis=1)
    if metric == "accuracy":
        return float(skm.accuracy_score(y_true, pred))
    if metric == "f1_weighted":
        return float(skm.f1_score(y_true, pred, average="weighted", zero_division=0))
    if metric == "r2":
        return float(skm.r2_score(y_true, pred))
    if metric in ("mse", "rmse"):
        mse = float(skm.mean_squared_error(y_true, pred))
        return mse if metric == "mse" else math.sqrt(mse)
    if metric == "mae":
        return float(skm.mean_absolute_error(y_true, pred))
    raise ValueError(f"Unknown metric {metric!r}")


def _log_loss(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log-probability of the true class; rows renormalised, floored at 1e-15
    (scikit-learn's log-loss without its warning for rows that do not sum to one)."""
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, None)
    p = p / p.sum(axis=1, keepdims=True)
    y = np.asarray(y_true, dtype=np.int64)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, n_classes: int
) -> dict[str, Any]:
    """Accuracy, weighted precision / recall / F1, log-loss, and ROC-AUC for binary tasks.

    Labels are encoded ``0..n_classes-1``; ``proba`` has one column per class.
    """
    out: dict[str, Any] = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision_weighted": float(
            skm.precision_score(y_true, y_pred, average="weighted", zero_division=0)
        ),
        "recall_weighted": float(
            skm.recall_score(y_true, y_pred, average="weighted", zero_division=0)
        ),
        "f1_weighted": float(skm.f1_score(y_true, y_pred, average="weighted", zero_division=0)),
    }
    if proba is not None:
        out["log_loss"] = _log_loss(y_true, proba)
        if n_classes == 2 and len(np.unique(y_true)) == 2:
            out["roc_auc"] = float(skm.roc_auc_score(y_true, proba[:, 1]))
    return out


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """MSE, RMSE, MAE and R²."""
    mse = float(skm.mean_squared_error(y_true, y_pred))
    return {
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }
