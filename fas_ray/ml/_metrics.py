"""Evaluation metrics (the seed's set, plus log-loss)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

from fas_ray.ml._task import TaskInfo

__all__ = [
    "classification_metrics",
    "greater_is_better",
    "metric_score",
    "primary_metric",
    "regression_metrics",
    "score",
]

LOSSES = frozenset({"log_loss", "mse", "rmse", "mae"})  # lower is better


def primary_metric(task: TaskInfo) -> str:
    """The metric the search maximises: ROC-AUC (binary), accuracy (multiclass), R² (regression)."""
    if task.subtype == "binary":
        return "roc_auc"
    if task.subtype == "multiclass":
        return "accuracy"
    return "r2"


def score(task: TaskInfo, y_true: np.ndarray, pred: np.ndarray, proba: np.ndarray | None) -> float:
    """The primary metric for encoded labels (classification) or values (regression)."""
    metric = primary_metric(task)
    if metric == "roc_auc":
        if proba is None:
            raise ValueError("ROC-AUC needs class probabilities")
        return float(skm.roc_auc_score(y_true, proba[:, 1]))
    if metric == "accuracy":
        return float(skm.accuracy_score(y_true, pred))
    return float(skm.r2_score(y_true, pred))


def greater_is_better(metric: str) -> bool:
    """False for losses (``log_loss``, ``mse``, ``rmse``, ``mae``), True for scores."""
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
            labels = list(range(proba.shape[1]))
            return float(skm.log_loss(y_true, proba, labels=labels))
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
        out["log_loss"] = float(skm.log_loss(y_true, proba, labels=list(range(n_classes))))
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
